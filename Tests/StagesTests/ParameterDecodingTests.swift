import Foundation
import Testing
@testable import Stages

@Suite("Stage parameters")
struct ParameterDecodingTests {
    func decode<P: StageParameters>(_ type: P.Type, _ json: String) throws -> P {
        try JSONDecoder().decode(P.self, from: Data(json.utf8))
    }

    func rejectedKey<P: StageParameters>(_ parameters: P) -> String? {
        do {
            try parameters.validate()
            return nil
        } catch {
            return error.key
        }
    }

    @Test("shots.detect: defaults when keys are missing, snake_case keys and durations decode")
    func shotsDetect() throws {
        let empty = try decode(ShotsDetect.Parameters.self, "{}")
        #expect(empty == ShotsDetect.Parameters())
        #expect(empty.mode == .content && empty.threshold == 27 && empty.adaptiveThreshold == 3.0)
        #expect(empty.minContent == 15 && empty.window == 2 && empty.minLength == Seconds(1))
        #expect(empty.flashFilter && empty.analysisWidth == 128)
        let p = try decode(ShotsDetect.Parameters.self,
                           #"{"mode": "adaptive", "min_length": "500ms", "flash_filter": false, "analysis_width": 96}"#)
        #expect(p.mode == .adaptive && p.minLength.value == 0.5 && !p.flashFilter && p.analysisWidth == 96)
        #expect(p.threshold == 27)
        #expect(throws: DecodingError.self) { try decode(ShotsDetect.Parameters.self, #"{"mode": "histogram"}"#) }

        var bad = ShotsDetect.Parameters()
        bad.threshold = 0
        #expect(rejectedKey(bad) == "threshold")
        bad = ShotsDetect.Parameters()
        bad.window = 0
        #expect(rejectedKey(bad) == "window")
        bad = ShotsDetect.Parameters()
        bad.analysisWidth = 4
        #expect(rejectedKey(bad) == "analysis_width")
        #expect(rejectedKey(ShotsDetect.Parameters()) == nil)
    }

    @Test("audio.segments: defaults, engine hint, ranges")
    func audioSegments() throws {
        let empty = try decode(AudioSegments.Parameters.self, "{}")
        #expect(empty == AudioSegments.Parameters())
        #expect(empty.engine == "energy" && empty.window.value == 0.02 && empty.speechDB == -35)
        #expect(empty.hysteresisDB == 6 && empty.minSpeech.value == 0.2 && empty.minSilence.value == 0.4)
        let p = try decode(AudioSegments.Parameters.self, #"{"speech_db": -40, "min_silence": "1s", "window": 0.03}"#)
        #expect(p.speechDB == -40 && p.minSilence.value == 1 && p.window.value == 0.03)

        var bad = AudioSegments.Parameters()
        bad.engine = "webrtc"
        do {
            try bad.validate()
            Issue.record("webrtc accepted")
        } catch {
            #expect(error.key == "engine")
            #expect(error.description.contains("only engine"))
        }
        bad = AudioSegments.Parameters()
        bad.speechDB = 3
        #expect(rejectedKey(bad) == "speech_db")
        bad = AudioSegments.Parameters()
        bad.window = Seconds(0)
        #expect(rejectedKey(bad) == "window")
    }

    @Test("frames.sample and frames.keyframes: defaults, policies, timestamps as durations, ranges")
    func frames() throws {
        let empty = try decode(FramesSample.Parameters.self, "{}")
        #expect(empty == FramesSample.Parameters())
        #expect(empty.every == Seconds(5) && empty.policy == .interval && empty.fps == 1 && empty.at.isEmpty)
        #expect(empty.snap == .exact && empty.maxSize == 320 && empty.quality == 75)
        #expect(empty.samplingPolicy == .interval(seconds: 5))
        let p = try decode(FramesSample.Parameters.self,
                           #"{"policy": "timestamps", "at": [1, "1500ms", "1m"], "snap": "keyframe", "max_size": 160}"#)
        #expect(p.samplingPolicy == .timestamps([1, 1.5, 60]) && p.snap == .keyframe && p.maxSize == 160)
        #expect(try decode(FramesSample.Parameters.self, #"{"policy": "fps", "fps": 2}"#).samplingPolicy == .fps(2))
        #expect(throws: DecodingError.self) { try decode(FramesSample.Parameters.self, #"{"snap": "nearest"}"#) }

        var bad = FramesSample.Parameters()
        bad.policy = .timestamps
        #expect(rejectedKey(bad) == "at")
        bad = FramesSample.Parameters()
        bad.quality = 101
        #expect(rejectedKey(bad) == "quality")
        bad = FramesSample.Parameters()
        bad.every = Seconds(0)
        #expect(rejectedKey(bad) == "every")

        let k = try decode(FramesKeyframes.Parameters.self, "{}")
        #expect(k.candidates == 3 && k.maxSize == 320 && k.quality == 75)
        var badK = FramesKeyframes.Parameters()
        badK.candidates = 0
        #expect(rejectedKey(badK) == "candidates")
        #expect(FramesKeyframes.candidateFractions(count: 1) == [0.5])
        let five = FramesKeyframes.candidateFractions(count: 5)
        #expect(zip(five, [0.35, 0.425, 0.5, 0.575, 0.65]).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test("every key is documented, and parameters round-trip through JSON")
    func documentation() throws {
        #expect(Set(ShotsDetect.Parameters.documentation.map(\.name))
                == ["mode", "threshold", "adaptive_threshold", "min_content", "window", "min_length", "flash_filter",
                    "gradual", "analysis_width", "analysis_filter"])
        #expect(Set(AudioSegments.Parameters.documentation.map(\.name))
                == ["engine", "window", "speech_db", "hysteresis_db", "min_speech", "min_silence"])
        #expect(Set(FramesSample.Parameters.documentation.map(\.name))
                == ["every", "policy", "fps", "at", "snap", "max_size", "quality"])
        #expect(Set(FramesKeyframes.Parameters.documentation.map(\.name)) == ["candidates", "max_size", "quality"])
        var p = ShotsDetect.Parameters()
        p.mode = .adaptive
        p.minLength = Seconds(2.5)
        let data = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(ShotsDetect.Parameters.self, from: data) == p)
    }

    @Test("registry finds the built-in stage types by name")
    func registry() {
        #expect(StageRegistry.type(named: "shots.detect") == ShotsDetect.self)
        #expect(StageRegistry.type(named: "audio.segments") == AudioSegments.self)
        #expect(StageRegistry.type(named: "frames.sample") == FramesSample.self)
        #expect(StageRegistry.type(named: "frames.keyframes") == FramesKeyframes.self)
        #expect(StageRegistry.type(named: "nope") == nil)
        #expect(StageRegistry.type(named: "speech.transcribe") == SpeechTranscribe.self)
        #expect(StageRegistry.builtin.count >= 5)
        #expect(Set(StageRegistry.builtin.map { $0.name }).count == StageRegistry.builtin.count)
    }
}
