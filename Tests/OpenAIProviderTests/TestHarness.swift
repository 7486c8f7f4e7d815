import Dispatch
import Foundation
import Logging
import ModelAPI
import OpenAIProvider
import OpenAITestServer

/// Runs blocking provider calls on a thread of their own, as the `ModelProvider` contract asks, never on the
/// cooperative pool the tests run on. Not `DispatchQueue.global()`: on Linux its width is the core count, and
/// a few parallel tests blocked there starve it (and the cooperative pool shares its threads).
func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}

func call<T: Sendable>(_ body: @escaping @Sendable () throws(ModelProviderError) -> T) async -> Result<T, ModelProviderError> {
    await offPool {
        do throws(ModelProviderError) { return .success(try body()) } catch { return .failure(error) }
    }
}

/// `call`, with the call's own duration measured on the thread that makes it (so a busy test process,
/// slow to resume the awaiting test, does not count).
func timedCall<T: Sendable>(_ body: @escaping @Sendable () throws(ModelProviderError) -> T) async
    -> (result: Result<T, ModelProviderError>, elapsed: Double) {
    await offPool {
        let start = Date()
        let result: Result<T, ModelProviderError>
        do throws(ModelProviderError) { result = .success(try body()) } catch { result = .failure(error) }
        return (result, Date().timeIntervalSince(start))
    }
}

extension Result {
    var error: Failure? { if case .failure(let e) = self { e } else { nil } }
    var value: Success? { if case .success(let v) = self { v } else { nil } }
}

/// A started server, handed to `body`, shut down afterwards.
func withServer<T>(_ handler: @escaping OpenAITestServer.Handler = OpenAITestServer.standardHandler,
                   _ body: (OpenAITestServer) async throws -> T) async throws -> T {
    let server = try await OpenAITestServer.started(handler: handler)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// A provider named `local` with fast backoff; shut it down with `close(_:)`.
func makeProvider(_ baseURL: String, model: String? = "test-model", maxConcurrency: Int = 4, timeout: Double = 5,
                  retries: Int = 2, apiKeyEnv: String? = nil, environment: [String: String] = [:],
                  cache: (any ModelResponseCache)? = nil, logger: Logger = Logger(label: "test.openai")) -> OpenAIProvider {
    OpenAIProvider(
        settings: OpenAIProviderSettings(name: "local", baseURL: baseURL, model: model, apiKeyEnv: apiKeyEnv,
                                         maxConcurrency: maxConcurrency, timeout: timeout, retries: retries,
                                         backoffBase: 0.01, maxBackoff: 0.05),
        cache: cache, environment: environment, logger: logger)
}

func close(_ provider: OpenAIProvider) async {
    await offPool { provider.shutdown() }
}

/// Keeps responses by hash, and every record stored.
final class MemoryResponseCache: ModelResponseCache, @unchecked Sendable {
    // @unchecked Sendable: both stores are read and written only under `lock`.
    private let lock = NSLock()
    private var responses: [String: [UInt8]] = [:]
    private var stored: [ModelCallRecord] = []

    func cachedResponse(requestHash: String) -> [UInt8]? {
        lock.lock(); defer { lock.unlock() }
        return responses[requestHash]
    }

    func store(response: [UInt8], for call: ModelCallRecord) {
        lock.lock(); defer { lock.unlock() }
        responses[call.requestHash] = response
        stored.append(call)
    }

    var records: [ModelCallRecord] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }
}

/// Collects every log line (message and metadata) at trace level.
final class LogSink: @unchecked Sendable {
    // @unchecked Sendable: `lines` is read and written only under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        lines.append(line)
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return lines.joined(separator: "\n")
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return lines.count
    }

    var logger: Logger {
        var logger = Logger(label: "test.capture") { _ in CapturingLogHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let sink: LogSink
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.append("\(event.level) \(event.message) \(fields)")
    }
}

/// A tiny 16-bit mono WAV whose samples include CR, LF and NUL bytes (to prove the upload is binary-safe).
func sampleWAV() -> [UInt8] {
    let samples: [UInt8] = [0x0D, 0x0A, 0x00, 0x2D, 0x2D, 0xFF, 0x7F, 0x00, 0x80, 0x0D, 0x0A, 0x0D, 0x0A, 0x01]
    func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    var wav = Array("RIFF".utf8) + le32(UInt32(36 + samples.count)) + Array("WAVEfmt ".utf8)
    wav += le32(16) + le16(1) + le16(1) + le32(16000) + le32(32000) + le16(2) + le16(16)
    wav += Array("data".utf8) + le32(UInt32(samples.count)) + samples
    return wav
}

/// The `response_format.type` a chat request carried, nil when none.
func formatType(_ request: RecordedRequest) -> String? {
    (request.jsonObject?["response_format"] as? [String: Any])?["type"] as? String
}

/// An append-only list shared by threads.
final class LockedList<T: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `storage` is read and written only under `lock`.
    private let lock = NSLock()
    private var storage: [T] = []

    func append(_ item: T) {
        lock.lock(); defer { lock.unlock() }
        storage.append(item)
    }

    var items: [T] {
        lock.lock(); defer { lock.unlock() }
        return storage
    }
}
