import Foundation
import MediaIO
@testable import Stages
import Testing
import TestSupport

/// `speech.transcribe` with `engine: pocketsphinx`, and what every engine shares (windows, errors).
@Suite("speech.transcribe", .serialized)
struct SpeechTranscribeTests {
    struct Unexpected: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Where each recording sits in the composed clip.
    struct Placement {
        var recording: SpeechRecording
        var start: Double
        var end: Double
    }

    /// An MP4 (H.264 + 44.1 kHz AAC, as a camera or editor would write it) holding 3 s of silence,
    /// then each recording followed by 1.5 s of silence.
    static func composeClip(_ recordings: [SpeechRecording], at path: String) throws -> [Placement] {
        var args: [String] = [], filter = "", placements: [Placement] = []
        var time = 3.0, inputs = 0
        func silence(_ seconds: Double) {
            args += ["-f", "lavfi", "-t", "\(seconds)", "-i", "anullsrc=r=16000:cl=mono"]
            filter += "[\(inputs):a]"
            inputs += 1
        }
        silence(3)
        for recording in recordings {
            args += recording.ffmpegInput
            filter += "[\(inputs):a]"
            inputs += 1
            let duration = try recording.duration
            placements.append(Placement(recording: recording, start: time, end: time + duration))
            time += duration + 1.5
            silence(1.5)
        }
        args += ["-f", "lavfi", "-t", "\(time)", "-i", "color=c=gray:size=160x120:rate=10"]
        filter += "concat=n=\(inputs):v=0:a=1[a]"
        try ffmpeg(args + ["-filter_complex", filter, "-map", "\(inputs):v", "-map", "[a]",
                           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                           "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-shortest"], output: path)
        return placements
    }

    /// Segments from the energy detector, then the transcript through MediaIO's audio pass (FFmpeg
    /// decode + swresample to 16 kHz), the way the scheduler drives the sinks.
    static var pocketsphinx: SpeechTranscribe.Parameters {
        var parameters = SpeechTranscribe.Parameters()
        parameters.engine = "pocketsphinx"
        return parameters
    }

    static func transcribe(_ path: String, _ parameters: SpeechTranscribe.Parameters = pocketsphinx)
        throws -> (segments: [AudioSegment], transcript: [TranscriptSegment], peakSamples: Int) {
        let upstream = try StageDriver.run(AudioSegments.self, path: path).output
        guard case .audioSegments(let segments)? = upstream else { throw Unexpected("audio.segments gave \(String(describing: upstream))") }
        let context = StageContext(videoPath: path, info: try MediaProbe.probe(path: path),
                                   upstream: ["segments": .audioSegments(segments)])
        guard case .audio(let work) = try SpeechTranscribe.work(parameters: parameters, context: context),
              let sink = work as? SpeechTranscribeSink else { throw Unexpected("speech.transcribe planned no audio work") }
        _ = try AudioPass(path: path).run { try sink.consume($0) }
        let output = try sink.finish()
        guard case .transcript(let transcript) = output else { throw Unexpected("speech.transcribe gave \(output)") }
        return (segments, transcript, sink.peakBufferedSamples)
    }

    @Test("real recordings: vidpipe's path is no worse than the pocketsphinx CLI; times are media times")
    func matchesCLIOnRealRecordings() throws {
        try #require(SpeechRecording.isInstalled, "install pocketsphinx-testdata (scripts/setup.sh)")
        let dir = try TemporaryDirectory()
        let recordings = try SpeechRecording.all()
        let clip = dir.path("speech.mp4")
        let placements = try Self.composeClip(recordings, at: clip)

        let started = Date()
        let (segments, transcript, peak) = try Self.transcribe(clip)
        let ourSeconds = Date().timeIntervalSince(started)
        var cliSeconds = 0.0

        var ours = WordErrorRate.Count(), cli = ours
        for placement in placements {
            // A recording's words are those whose middle falls inside its span (with the padding).
            let words = transcript.flatMap(\.words).filter {
                let middle = ($0.start + $0.end) / 2
                return middle >= placement.start - 0.5 && middle <= placement.end + 0.5
            }
            let heard = words.map(\.word).joined(separator: " ")
            let cliStarted = Date()
            let cliText = try PocketSphinxCLI.transcribe(placement.recording)
            cliSeconds += Date().timeIntervalSince(cliStarted)
            let mine = WordErrorRate.count(reference: placement.recording.reference, hypothesis: heard)
            let theirs = WordErrorRate.count(reference: placement.recording.reference, hypothesis: cliText)
            print("WER \(placement.recording.name): vidpipe \(percent(mine.rate)) % (\(heard)) | CLI \(percent(theirs.rate)) % (\(cliText))")
            ours = ours + mine
            cli = cli + theirs
        }
        let audioSeconds = placements.reduce(0) { $0 + $1.end - $1.start }
        print("WER overall (\(ours.referenceWords) words): vidpipe \(percent(ours.rate)) %, CLI \(percent(cli.rate)) %; "
              + "\(String(format: "%.1f", audioSeconds)) s of speech in a \(String(format: "%.1f", placements.last!.end + 1.5)) s clip; "
              + "wall time vidpipe \(String(format: "%.1f", ourSeconds)) s (decode + segments + transcribe + model load), CLI \(String(format: "%.1f", cliSeconds)) s")
        #expect(ours.rate <= cli.rate + 0.03, "vidpipe \(ours.rate) vs CLI \(cli.rate)")
        #expect(ours.rate <= 0.35, "measured 28.0 % here")
        print("segments: " + transcript.map { "\(String(format: "%.2f-%.2f", $0.start, $0.end)) conf \(String(format: "%.3f", $0.confidence ?? -1))" }.joined(separator: ", "))
        // goforward, at 3 s into the clip, is read perfectly by both.
        #expect(transcript.first?.text == "go forward ten meters")

        // Times: segments in order inside the clip, words in order inside their segment, the first
        // word after the 3 s of leading silence.
        let duration = placements.last!.end + 1.5
        var previousEnd = 0.0
        for segment in transcript {
            #expect(segment.start >= previousEnd - 1e-9 && segment.end > segment.start && segment.end <= duration)
            #expect(segment.words.first?.start == segment.start && segment.words.last?.end == segment.end)
            #expect(segment.words.map(\.word).joined(separator: " ") == segment.text)
            #expect(segment.confidence.map { $0 > 0 && $0 <= 1 } == true, "mean word posterior \(String(describing: segment.confidence))")
            var wordEnd = segment.start
            for word in segment.words {
                #expect(word.start >= wordEnd - 1e-9 && word.end >= word.start && word.end <= segment.end + 1e-9)
                wordEnd = word.end
            }
            previousEnd = segment.end
        }
        #expect(transcript.first.map { $0.start >= 3.0 && $0.start < placements[0].start + 0.6 } == true)

        // Memory: never more than the longest window plus one 2 s chunk of audio held at once.
        let windows = SpeechWindow.plan(segments, padding: 0.2, maxLength: 30, duration: duration)
        let longest = windows.map { $0.end - $0.start }.max() ?? 0
        #expect(Double(peak) <= (longest + 2.0) * 16000 + 1, "peak \(peak) samples, longest window \(longest) s")
        #expect(Double(peak) < duration * 16000 / 2)
    }

    @Test("speech placed 3 s into a longer file gets the standalone word times plus 3 s")
    func offsetsWordTimes() throws {
        try #require(SpeechRecording.isInstalled, "install pocketsphinx-testdata (scripts/setup.sh)")
        let dir = try TemporaryDirectory()
        let recording = SpeechRecording.goForward
        try ffmpeg(recording.ffmpegInput + ["-af", "apad=pad_dur=1", "-c:a", "pcm_s16le"], output: dir.path("alone.wav"))
        try ffmpeg(recording.ffmpegInput + ["-af", "adelay=3000:all=1,apad=pad_dur=2", "-c:a", "pcm_s16le"],
                   output: dir.path("delayed.wav"))
        let alone = try Self.transcribe(dir.path("alone.wav")).transcript
        let delayed = try Self.transcribe(dir.path("delayed.wav")).transcript
        #expect(alone.map(\.text) == ["go forward ten meters"])
        #expect(delayed.map(\.text) == alone.map(\.text))
        let pairs = zip(alone.flatMap(\.words), delayed.flatMap(\.words))
        #expect(pairs.allSatisfy { abs($1.start - $0.start - 3) <= 0.1 && abs($1.end - $0.end - 3) <= 0.1 },
                "\(alone.flatMap(\.words)) vs \(delayed.flatMap(\.words))")
    }

    @Test("windows: padded, clamped, merged when they touch, long ones cut at max_segment")
    func windowPlanning() {
        let segments = [
            AudioSegment(kind: .silence, start: 0, end: 0.1, loudnessDB: -90),
            AudioSegment(kind: .speech, start: 0.1, end: 2, loudnessDB: -20),
            AudioSegment(kind: .silence, start: 2, end: 2.3, loudnessDB: -90),
            AudioSegment(kind: .speech, start: 2.3, end: 4, loudnessDB: -20),
            AudioSegment(kind: .silence, start: 4, end: 10, loudnessDB: -90),
            AudioSegment(kind: .speech, start: 10, end: 75, loudnessDB: -20),
            AudioSegment(kind: .speech, start: 79.9, end: 80, loudnessDB: -20),
        ]
        let windows = SpeechWindow.plan(segments, padding: 0.2, maxLength: 30, duration: 80)
        #expect(windows.first == SpeechWindow(start: 0, end: 4.2))  // clamped at 0, the 0.3 s gap merged
        let long = windows.dropFirst().prefix(3)
        #expect(long.count == 3 && long.allSatisfy { abs(($0.end - $0.start) - 65.4 / 3) < 1e-9 })
        #expect(long.first?.start == 9.8 && abs((long.last?.end ?? 0) - 75.2) < 1e-9)
        #expect(windows.last == SpeechWindow(start: 79.7, end: 80))  // clamped at the duration
        #expect(SpeechWindow.plan([], padding: 0.2, maxLength: 30, duration: 5).isEmpty)
    }

    @Test("parameters: defaults, durations, engines")
    func parameters() throws {
        let empty = try JSONDecoder().decode(SpeechTranscribe.Parameters.self, from: Data("{}".utf8))
        #expect(empty == SpeechTranscribe.Parameters())
        #expect(empty.engine == "whisper" && empty.workers == 1 && empty.threads == 0 && empty.padding == Seconds(0.2) && empty.maxSegment == Seconds(30))
        #expect(empty.modelDir == nil && empty.lm == nil && empty.dict == nil)
        let p = try JSONDecoder().decode(SpeechTranscribe.Parameters.self,
                                         from: Data(#"{"padding": "350ms", "max_segment": "1m", "model_dir": "/m"}"#.utf8))
        #expect(abs(p.padding.value - 0.35) < 1e-12 && p.maxSegment.value == 60 && p.modelDir == "/m")
        var sherpa = SpeechTranscribe.Parameters()
        sherpa.engine = "whisper.cpp"
        #expect { try sherpa.validate() } throws: { ($0 as? ParameterError)?.key == "engine" }
        var tiny = SpeechTranscribe.Parameters()
        tiny.maxSegment = Seconds(0.5)
        #expect { try tiny.validate() } throws: { ($0 as? ParameterError)?.key == "max_segment" }
        #expect(Set(SpeechTranscribe.Parameters.documentation.map(\.name))
                == ["engine", "model_dir", "lm", "dict", "padding", "max_segment", "model_type", "language", "model", "workers", "threads"])
        #expect(StageRegistry.type(named: "speech.transcribe") == SpeechTranscribe.self)
    }

    @Test("no audio skips; no upstream segments and a missing model are clear errors")
    func errors() throws {
        let dir = try TemporaryDirectory()
        let silentVideo = dir.path("silent.mp4")
        try MediaFixture.h264AAC(at: silentVideo, seconds: 1, audio: false)
        let speech: [String: StageOutput] = ["segments": .audioSegments([AudioSegment(kind: .speech, start: 0, end: 1, loudnessDB: -20)])]
        #expect(try StageDriver.run(SpeechTranscribe.self, Self.pocketsphinx, path: silentVideo, upstream: speech).skipReason
                == "no audio stream")

        let tone = dir.path("tone.m4a")
        try MediaFixture.sineM4A(at: tone, seconds: 1)
        #expect { try StageDriver.run(SpeechTranscribe.self, Self.pocketsphinx, path: tone) } throws: {
            "\($0)".contains("needs the audio segments") && "\($0)".contains("speech.segments")
        }
        var missing = Self.pocketsphinx
        missing.modelDir = dir.path("no-model")
        #expect { try StageDriver.run(SpeechTranscribe.self, missing, path: tone, upstream: speech) } throws: {
            "\($0)".contains(dir.path("no-model")) && "\($0)".contains("does not exist")
        }
        // Only silence upstream: nothing to decode, an empty transcript.
        let quiet: [String: StageOutput] = ["segments": .audioSegments([AudioSegment(kind: .silence, start: 0, end: 1, loudnessDB: -90)])]
        #expect(try StageDriver.run(SpeechTranscribe.self, Self.pocketsphinx, path: tone, upstream: quiet).output == .transcript([]))
    }
}
