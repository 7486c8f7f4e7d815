import Foundation
import MediaIO
import Testing
import TestSupport
@testable import Stages

@Suite("captions.export stage")
struct CaptionsExportTests {
    static let info = MediaInfo(formatName: "mov,mp4,m4a,3gp,3g2,mj2", duration: 120, hasVideo: true, hasAudio: true,
                                width: 320, height: 240, rotation: 0, fps: 25, videoCodec: "h264", audioCodec: "aac",
                                audioSampleRate: 44100, audioChannels: 1, frameCountHint: 3000)

    static func transcript(_ script: String = CaptionCueBuilderTests.monologue) -> [TranscriptSegment] {
        CaptionCueBuilderTests.segments(CaptionCueBuilderTests.timedWords(script))
    }

    /// Runs the stage's work for `videoPath` (the video itself is never read), writes its caption
    /// files as the scheduler does after the cues commit, and returns the cues.
    @discardableResult
    static func run(_ parameters: CaptionsExport.Parameters = .init(), videoPath: String,
                    transcript: [TranscriptSegment] = transcript()) throws -> [SubtitleCue] {
        try parameters.validate()
        let context = StageContext(videoPath: videoPath, info: info, upstream: ["speech": .transcript(transcript)])
        guard case .compute(let body) = try CaptionsExport.work(parameters: parameters, context: context) else {
            Issue.record("captions.export should be compute work")
            return []
        }
        let output = try body()
        guard case .subtitles(let cues) = output else {
            Issue.record("captions.export should output subtitles")
            return []
        }
        for sidecar in CaptionsExport.sidecars(parameters: parameters, context: context, output: output) { try sidecar.write() }
        return cues
    }

    func contents(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func inode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    @Test("writes movie.vtt and movie.srt next to movie.mp4; both read back equal to the stored cues")
    func writesBothNextToVideo() throws {
        let dir = try TemporaryDirectory()
        let video = dir.path("movie.mp4")
        let cues = try Self.run(videoPath: video)
        #expect(cues.count >= 10)
        for (a, b) in zip(cues, cues.dropFirst()) { #expect(a.end <= b.start + 1e-9) }
        for format in SubtitleFormat.allCases {
            let parsed = try IndependentSubtitleParser.parse(dir.path("movie.\(format.fileExtension)"), as: format)
            #expect(parsed == IndependentSubtitleParser.expected(cues), "\(format)")
        }
        #expect(contents(dir.path("movie.vtt"))!.hasPrefix("WEBVTT\n\nNOTE " + CaptionFileWriter.ownershipNote + " source: "
                                                           + video + "\n\n1\n"))
        // Nothing but the two files and the SRT's ownership record; no temporary files left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        #expect(names == [".movie.srt.vidpipe", "movie.srt", "movie.vtt"])
    }

    @Test("a rerun replaces vidpipe's own files by rename (a new inode), never in place")
    func rerunReplacesAtomically() throws {
        let dir = try TemporaryDirectory()
        let video = dir.path("movie.mp4")
        try Self.run(videoPath: video, transcript: Self.transcript("First version of the text."))
        let oldInodes = try ["movie.vtt", "movie.srt"].map { try inode(dir.path($0)) }
        // A hard link keeps the old file: renaming over the name leaves it untouched.
        try FileManager.default.linkItem(atPath: dir.path("movie.srt"), toPath: dir.path("old-link.srt"))
        let cues = try Self.run(videoPath: video, transcript: Self.transcript("Second version of the text."))
        #expect(cues.map { $0.lines.joined(separator: " ") } == ["Second version of the text."])
        let newInodes = try ["movie.vtt", "movie.srt"].map { try inode(dir.path($0)) }
        #expect(zip(oldInodes, newInodes).allSatisfy { $0 != $1 })
        #expect(contents(dir.path("old-link.srt"))!.contains("First version"))
        #expect(contents(dir.path("movie.srt"))!.contains("Second version"))
        #expect(contents(dir.path("movie.vtt"))!.contains("Second version"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("movie.vidpipe.srt")))
    }

    @Test("never replaces a user's movie.srt / movie.vtt: writes movie.vidpipe.srt / .vtt instead, again on reruns")
    func keepsUserFiles() throws {
        let dir = try TemporaryDirectory()
        let video = dir.path("movie.mp4")
        let userSRT = "1\n00:00:00,000 --> 00:00:02,000\nMy own subtitles\n\n"
        let userVTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nMy own subtitles\n\n"
        try userSRT.write(toFile: dir.path("movie.srt"), atomically: false, encoding: .utf8)
        try userVTT.write(toFile: dir.path("movie.vtt"), atomically: false, encoding: .utf8)
        for _ in 0..<2 {
            let cues = try Self.run(videoPath: video)
            #expect(contents(dir.path("movie.srt")) == userSRT)
            #expect(contents(dir.path("movie.vtt")) == userVTT)
            for format in SubtitleFormat.allCases {
                let parsed = try IndependentSubtitleParser.parse(dir.path("movie.vidpipe.\(format.fileExtension)"), as: format)
                #expect(parsed == IndependentSubtitleParser.expected(cues))
            }
        }
        // Both names taken by the user: the stage fails and replaces nothing.
        try userSRT.write(toFile: dir.path("movie.vidpipe.srt"), atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: dir.path(".movie.vidpipe.srt.vidpipe"))
        #expect(throws: CaptionExportError.self) { try Self.run(videoPath: video) }
        #expect(contents(dir.path("movie.vidpipe.srt")) == userSRT)
        #expect(contents(dir.path("movie.srt")) == userSRT)
    }

    @Test("an SRT the user edited after vidpipe wrote it becomes theirs")
    func editedSRTIsKept() throws {
        let dir = try TemporaryDirectory()
        let video = dir.path("movie.mp4")
        var parameters = CaptionsExport.Parameters()
        parameters.formats = [.srt]
        try Self.run(parameters, videoPath: video)
        let edited = contents(dir.path("movie.srt"))!.replacingOccurrences(of: "archive", with: "ARCHIVE")
        try edited.write(toFile: dir.path("movie.srt"), atomically: false, encoding: .utf8)
        try Self.run(parameters, videoPath: video)
        #expect(contents(dir.path("movie.srt")) == edited)
        #expect(FileManager.default.fileExists(atPath: dir.path("movie.vidpipe.srt")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("movie.vtt")))
        // A WebVTT file whose vidpipe note was deleted is the user's too.
        parameters.formats = [.vtt]
        try Self.run(parameters, videoPath: video)
        let noted = contents(dir.path("movie.vtt"))!
        let unmarked = noted.replacingOccurrences(of: "NOTE " + CaptionFileWriter.ownershipNote + " source: " + video + "\n\n",
                                                  with: "")
        #expect(unmarked != noted)
        try unmarked.write(toFile: dir.path("movie.vtt"), atomically: false, encoding: .utf8)
        try Self.run(parameters, videoPath: video)
        #expect(contents(dir.path("movie.vtt")) == unmarked)
        #expect(FileManager.default.fileExists(atPath: dir.path("movie.vidpipe.vtt")))
    }

    @Test("movie.mp4 and movie.mkv in one folder, and two movie.mp4 sharing an out_dir, each keep their own files")
    func sameNameDifferentVideos() throws {
        let dir = try TemporaryDirectory()
        for sub in ["b", "c"] { try FileManager.default.createDirectory(atPath: dir.path(sub), withIntermediateDirectories: true) }
        var parameters = CaptionsExport.Parameters()
        parameters.outDir = dir.path("captions")
        let mp4 = try Self.run(parameters, videoPath: dir.path("movie.mp4"), transcript: Self.transcript("first video speaking"))
        let mkv = try Self.run(parameters, videoPath: dir.path("movie.mkv"), transcript: Self.transcript("second video speaking"))
        let other = try Self.run(parameters, videoPath: dir.path("b/movie.mp4"), transcript: Self.transcript("third one here"))
        let fourth = try Self.run(parameters, videoPath: dir.path("c/movie.mp4"), transcript: Self.transcript("fourth and last"))
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path("captions")).filter { !$0.hasPrefix(".") }.sorted()
        let hash = String(CaptionFileWriter.hashHex(Array(dir.path("c/movie.mp4").utf8)).prefix(8))
        #expect(names == ["movie.mkv.srt", "movie.mkv.vtt", "movie.mp4.\(hash).srt", "movie.mp4.\(hash).vtt", "movie.mp4.srt",
                          "movie.mp4.vtt", "movie.srt", "movie.vtt"])
        for (file, cues) in [("movie", mp4), ("movie.mkv", mkv), ("movie.mp4", other), ("movie.mp4.\(hash)", fourth)] {
            let parsed = try IndependentSubtitleParser.parse(dir.path("captions/\(file).vtt"), as: .vtt)
            #expect(parsed == IndependentSubtitleParser.expected(cues), "\(file)")
        }
        // Later runs keep each video's name.
        try Self.run(parameters, videoPath: dir.path("movie.mkv"), transcript: Self.transcript("second video again"))
        try Self.run(parameters, videoPath: dir.path("movie.mp4"), transcript: Self.transcript("first video again"))
        #expect(try IndependentSubtitleParser.parse(dir.path("captions/movie.vtt"), as: .vtt).map(\.text).joined().contains("first"))
        #expect(try IndependentSubtitleParser.parse(dir.path("captions/movie.mkv.vtt"), as: .vtt).map(\.text).joined().contains("second"))
    }

    @Test("out_dir: relative to the video's directory, or absolute; created when missing; [] formats writes nothing")
    func outDir() throws {
        let dir = try TemporaryDirectory()
        let video = dir.path("clips/movie.mp4")
        var parameters = CaptionsExport.Parameters()
        parameters.outDir = "captions/en"
        try Self.run(parameters, videoPath: video)
        #expect(FileManager.default.fileExists(atPath: dir.path("clips/captions/en/movie.vtt")))
        #expect(FileManager.default.fileExists(atPath: dir.path("clips/captions/en/movie.srt")))
        parameters.outDir = dir.path("elsewhere")
        parameters.formats = [.vtt]
        try Self.run(parameters, videoPath: video)
        #expect(FileManager.default.fileExists(atPath: dir.path("elsewhere/movie.vtt")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("elsewhere/movie.srt")))
        parameters.outDir = dir.path("none")
        parameters.formats = []
        let cues = try Self.run(parameters, videoPath: video)
        #expect(!cues.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: dir.path("none")))
    }

    @Test("parameters: defaults, snake_case keys, durations, validation, registry")
    func parameters() throws {
        let empty = try JSONDecoder().decode(CaptionsExport.Parameters.self, from: Data("{}".utf8))
        #expect(empty == CaptionsExport.Parameters())
        #expect(empty.formats == [.vtt, .srt] && empty.outDir == "" && empty.maxChars == 42 && empty.maxLines == 2)
        #expect(empty.minDuration == Seconds(1) && empty.maxDuration == Seconds(7) && empty.pause == Seconds(0.5))
        let p = try JSONDecoder().decode(CaptionsExport.Parameters.self, from: Data(
            #"{"formats": ["srt"], "out_dir": "subs", "max_chars": 37, "max_lines": 1, "min_duration": "800ms", "max_duration": 6, "pause": "300ms"}"#.utf8))
        #expect(p.formats == [.srt] && p.outDir == "subs" && p.maxChars == 37 && p.maxLines == 1)
        #expect(p.rules.minDuration == 0.8 && p.rules.maxDuration == 6 && p.rules.pause == 0.3)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CaptionsExport.Parameters.self, from: Data(#"{"formats": ["ass"]}"#.utf8))
        }
        func rejected(_ change: (inout CaptionsExport.Parameters) -> Void) -> String? {
            var p = CaptionsExport.Parameters()
            change(&p)
            do { try p.validate(); return nil } catch { return error.key }
        }
        #expect(rejected { $0.formats = [.vtt, .vtt] } == "formats")
        #expect(rejected { $0.maxChars = 5 } == "max_chars")
        #expect(rejected { $0.maxLines = 0 } == "max_lines")
        #expect(rejected { $0.minDuration = Seconds(8) } == "min_duration")
        #expect(rejected { $0.pause = Seconds(0) } == "pause")
        #expect(rejected { _ in } == nil)
        let documented = Set(CaptionsExport.Parameters.documentation.map(\.name))
        #expect(documented == ["formats", "out_dir", "max_chars", "max_lines", "min_duration", "max_duration", "pause"])
        #expect(StageRegistry.type(named: "captions.export") == CaptionsExport.self)
    }

    @Test("without a transcript upstream the stage says what to add")
    func needsTranscript() {
        let context = StageContext(videoPath: "/tmp/x.mp4", info: Self.info, upstream: [:])
        #expect(throws: ParameterError.self) { try CaptionsExport.work(parameters: .init(), context: context) }
    }
}
