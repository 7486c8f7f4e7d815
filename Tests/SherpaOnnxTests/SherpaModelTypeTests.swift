import Foundation
import Testing
import TestSupport
@testable import SherpaOnnx

@Suite("Sherpa offline model directories")
struct SherpaModelTypeTests {
    func touch(_ dir: TemporaryDirectory, _ names: [String]) throws {
        for name in names { try Data("x".utf8).write(to: dir.url.appendingPathComponent(name)) }
    }

    @Test("a directory that does not exist: modelMissing, with the path and the download page")
    func missingDirectory() {
        for type in SherpaModelType.allCases {
            do {
                _ = try SherpaOfflineRecognizer(modelDirectory: "/nonexistent/whisper-tiny", modelType: type)
                Issue.record("expected an error for \(type)")
            } catch {
                #expect(error.code == .modelMissing)
                #expect(error.description.contains("/nonexistent/whisper-tiny"))
                #expect(error.description.contains("https://github.com/k2-fsa/sherpa-onnx/releases/tag/asr-models"))
            }
        }
    }

    @Test("an empty directory: every required file is listed as missing", arguments: SherpaModelType.allCases)
    func emptyDirectory(type: SherpaModelType) throws {
        let dir = try TemporaryDirectory()
        do {
            _ = try SherpaOfflineRecognizer(modelDirectory: dir.url.path, modelType: type)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .modelIncomplete)
            #expect(error.missingFiles == type.requiredFiles)
            for file in type.requiredFiles { #expect(error.description.contains(file)) }
            #expect(error.description.contains(dir.url.path))
        }
    }

    @Test("a Whisper directory with only the encoder: decoder and tokens are missing")
    func partialWhisper() throws {
        let dir = try TemporaryDirectory()
        try touch(dir, ["tiny.en-encoder.onnx", "README.md"])
        #expect(throws: SherpaOnnxError(
            .modelIncomplete,
            "whisper model directory \(dir.url.path) is missing *-decoder.onnx (or *-decoder.int8.onnx), *-tokens.txt",
            hint: SherpaModelType.whisper.downloadHint,
            missingFiles: ["*-decoder.onnx (or *-decoder.int8.onnx)", "*-tokens.txt"])) {
            try SherpaModelType.whisper.locateFiles(in: dir.url.path)
        }
    }

    @Test("a Moonshine directory missing the cached decoder; an empty file does not count")
    func partialMoonshine() throws {
        let dir = try TemporaryDirectory()
        try touch(dir, ["preprocess.onnx", "encode.int8.onnx", "uncached_decode.int8.onnx", "tokens.txt"])
        _ = FileManager.default.createFile(atPath: dir.path("cached_decode.int8.onnx"), contents: Data())
        do {
            _ = try SherpaModelType.moonshine.locateFiles(in: dir.url.path)
            Issue.record("expected an error")
        } catch {
            #expect(error.missingFiles == ["cached_decode.onnx (or cached_decode.int8.onnx)"])
        }
    }

    @Test("complete layouts are found; the int8 variant is preferred")
    func completeLayouts() throws {
        let whisper = try TemporaryDirectory()
        try touch(whisper, ["tiny.en-encoder.onnx", "tiny.en-encoder.int8.onnx", "tiny.en-decoder.onnx", "tiny.en-tokens.txt"])
        let w = try SherpaModelType.whisper.locateFiles(in: whisper.url.path)
        #expect(w["encoder"] == whisper.path("tiny.en-encoder.int8.onnx"))
        #expect(w["decoder"] == whisper.path("tiny.en-decoder.onnx"))
        #expect(w["tokens"] == whisper.path("tiny.en-tokens.txt"))

        let moonshine = try TemporaryDirectory()
        try touch(moonshine, ["preprocess.onnx", "encode.int8.onnx", "uncached_decode.int8.onnx",
                              "cached_decode.int8.onnx", "tokens.txt"])
        #expect(try SherpaModelType.moonshine.locateFiles(in: moonshine.url.path).count == 5)

        let senseVoice = try TemporaryDirectory()
        try touch(senseVoice, ["model.int8.onnx", "tokens.txt"])
        let s = try SherpaModelType.senseVoice.locateFiles(in: senseVoice.url.path)
        #expect(s == ["model": senseVoice.path("model.int8.onnx"), "tokens": senseVoice.path("tokens.txt")])
    }

    @Test("thread counts out of range are rejected before the directory is read")
    func threads() {
        #expect(throws: SherpaOnnxError.self) {
            try SherpaOfflineRecognizer(modelDirectory: "/tmp", modelType: .whisper, threads: 0)
        }
    }
}
