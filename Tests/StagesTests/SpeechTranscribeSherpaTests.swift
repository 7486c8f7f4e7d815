import Foundation
import MediaIO
import Testing
import TestSupport
@testable import Stages

/// `speech.transcribe` with `engine: sherpa`: no weights exist here, so these cover the checks that
/// fail the stage clearly before any decoding.
@Suite struct SpeechTranscribeSherpaTests {
    static let info = MediaInfo(formatName: "wav", duration: 4, hasVideo: false, hasAudio: true, width: 0, height: 0,
                                rotation: 0, fps: 0, videoCodec: nil, audioCodec: "pcm_s16le", audioSampleRate: 16000,
                                audioChannels: 1, frameCountHint: 0)
    static let context = StageContext(videoPath: "/tmp/a.wav", info: info, upstream: [
        "segments": .audioSegments([AudioSegment(kind: .speech, start: 0.5, end: 3.5, loudnessDB: -20)]),
    ])

    @Test func sherpaNeedsAModelDirectory() {
        var parameters = SpeechTranscribe.Parameters()
        parameters.engine = "sherpa"
        #expect {
            try parameters.validate()
        } throws: { error in
            guard let e = error as? ParameterError else { return false }
            return e.key == "model_dir" && (e.hint ?? "").contains("sherpa-onnx")
        }
    }

    @Test(arguments: ["whisper", "moonshine", "sense_voice"])
    func anIncompleteModelDirectoryFailsTheStageNamingTheMissingFiles(type: String) throws {
        let dir = try TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.path("tokens.txt")))
        var parameters = SpeechTranscribe.Parameters()
        parameters.engine = "sherpa"
        parameters.modelDir = dir.url.path
        parameters.modelType = try #require(SherpaModelTypeLookup.named(type))
        try parameters.validate()
        #expect {
            _ = try SpeechTranscribe.work(parameters: parameters, context: Self.context)
        } throws: { error in
            let text = "\(error)"
            return text.contains(dir.url.path) && text.contains(".onnx")
        }
    }
}

import SherpaOnnx

enum SherpaModelTypeLookup {
    static func named(_ name: String) -> SherpaModelType? { SherpaModelType(rawValue: name) }
}
