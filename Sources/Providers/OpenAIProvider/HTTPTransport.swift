import AsyncHTTPClient
import Foundation
import Logging
import ModelAPI
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Workers

/// Sends `WireRequest`s to one provider: holds its HTTP client and event loop group, its API key, its
/// in-flight limit, and the retry loop. Everything the provider says about a failed exchange is worded here.
final class HTTPTransport: Sendable {
    let providerName: String
    let root: String
    private let apiKey: String?
    /// Every form of the key and the base URL's credentials, longest first (see `redact`).
    private let secretForms: [(secret: String, mask: String)]
    private let timeout: Double
    private let policy: RetryPolicy
    private let logger: Logger
    let limiter: FairLimiter
    private let group: MultiThreadedEventLoopGroup
    private let client: HTTPClient
    /// Set once by the first `shutdown`; calls after it fail.
    private let shutDown = Mutex(false)

    init(settings: OpenAIProviderSettings, apiKey: String?, logger: Logger) {
        providerName = settings.name
        root = settings.root
        self.apiKey = apiKey
        secretForms = Secrets.forms(apiKey: apiKey, root: settings.root)
        timeout = settings.timeout
        policy = RetryPolicy(retries: settings.retries, backoffBase: settings.backoffBase, maxBackoff: settings.maxBackoff,
                             maxRetryAfter: settings.maxRetryAfter)
        self.logger = logger
        limiter = FairLimiter(limit: max(1, settings.maxConcurrency))
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = HTTPClient.Configuration()
        // Our own loop retries failed connects with backoff and says why; the pool's retry would hide the
        // cause until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, settings.maxConcurrency)
        configuration.timeout.connect = .milliseconds(Int64(min(settings.timeout, 10) * 1000))
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroup: group, configuration: configuration, backgroundActivityLogger: logger)
    }

    /// Closes connections and stops the event loop. Blocks; safe to call twice. Not from an event loop.
    func shutdown() {
        guard markShutDown() else { return }
        let client = self.client, group = self.group
        let done = DispatchSemaphore(value: 0)
        client.shutdown { _ in
            group.shutdownGracefully { _ in done.signal() }
        }
        done.wait()
    }

    /// True for the first caller only.
    private func markShutDown() -> Bool {
        shutDown.withLock { done in
            defer { done = true }
            return !done
        }
    }

    /// The name of the event loop's thread (e.g. `NIO-ELT-3-#0`), for tests that watch it end.
    func eventLoopThreadName() throws -> String {
        try group.next().submit {
            (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        }.wait()
    }

    /// Shutdown without waiting, for `deinit`: the callbacks keep client and group alive until done.
    func shutdownInBackground() {
        guard markShutDown() else { return }
        let client = self.client, group = self.group
        client.shutdown { _ in
            _ = client
            group.shutdownGracefully { _ in }
        }
    }

    /// Replaces every secret in text that may leave the provider (errors, logs, the store): the key
    /// as is, percent-encoded and JSON-escaped (a server may echo it in any of these), and the
    /// `user:password` of the base URL.
    func redact(_ text: String) -> String {
        secretForms.reduce(text) { $0.replacingOccurrences(of: $1.secret, with: $1.mask) }
    }

    func error(_ kind: ModelProviderError.Kind, status: Int? = nil, _ message: String) -> ModelProviderError {
        ModelProviderError(kind: kind, provider: providerName, status: status, message: redact(message))
    }

    /// The error for a final non-2xx answer. A 404/405 that does not name a model means the server lacks the
    /// endpoint (Ollama has no `/audio/transcriptions`, say): kind `.unsupported`.
    func httpError(_ response: WireResponse, _ request: WireRequest) -> ModelProviderError {
        var message = "provider '\(providerName)' answered \(response.statusText) for \(request.label)"
        let said = serverMessage(response.body)
        if !said.isEmpty { message += ": \(said)" }
        if response.attempts > 1 { message += " (after \(response.attempts) attempts)" }
        switch ServerComplaint.classify(status: response.status, body: response.body) {
        case .contextOverflow(let prompt, let context):
            return contextOverflow(model: request.model, prompt: prompt, context: context, status: response.status, said: said)
        case .unknownModel:
            return error(.unknownModel, status: response.status,
                         "provider '\(providerName)' does not serve model '\(request.model)' (server said: \(said)); "
                            + "set `model:` on the stage or provider to one listed by GET \(Secrets.withoutCredentials(root))/models")
        case .invalidRequest where response.status >= 500, .responseFormat where response.status >= 500:
            // A 5xx that is really a refusal of the request (a validation error): it was not retried.
            return error(.invalidRequest, status: response.status, message + " (a refusal of the request: not retried)")
        case .invalidRequest, .responseFormat, .images, .other:
            break
        }
        if response.status == 404 || response.status == 405, !said.lowercased().contains("model") {
            return error(.unsupported, status: response.status, message + " (the server has no such endpoint)")
        }
        return error(.http, status: response.status, message)
    }

    /// "The prompt (13920 tokens) does not fit model M's context (2048 tokens)", with the numbers the server gave.
    func contextOverflow(model: String, prompt: Int?, context: Int?, status: Int?, said: String) -> ModelProviderError {
        let promptText = prompt.map { "the prompt (\($0) tokens)" } ?? "the prompt"
        let contextText = context.map { "context (\($0) tokens)" } ?? "context"
        var error = error(.contextOverflow, status: status,
                          "provider '\(providerName)': \(promptText) does not fit model '\(model)''s \(contextText) "
                            + "(server said: \(said)); lower the stage's context_tokens or give the model a larger context")
        error.promptTokens = prompt
        error.contextTokens = context
        return error
    }

    /// Sends with retries, holding one in-flight slot for the whole exchange (backoff included, so a
    /// struggling server is not hit by the next queued request meanwhile). Returns a 2xx or a non-retryable
    /// 4xx; throws `.unreachable`, `.timeout`, or `.http` once the retries are spent.
    /// Blocks the calling thread: the exchange runs on the client's event loop and is waited for here, so
    /// nothing depends on Swift concurrency's pool or Dispatch's global queues.
    func send(_ request: WireRequest) throws(ModelProviderError) -> WireResponse {
        if shutDown.withLock({ $0 }) {
            throw error(.configuration, "provider '\(providerName)' was shut down; no more calls can be made")
        }
        return try limiter.withSlot { () throws(ModelProviderError) -> WireResponse in
            try sendHoldingSlot(request)
        }
    }

    private func sendHoldingSlot(_ request: WireRequest) throws(ModelProviderError) -> WireResponse {
        let start = ContinuousClock.now
        var retryIndex = 0
        while true {
            let attempt = retryIndex + 1
            let attemptStart = ContinuousClock.now
            let outcome = exchangeOnce(request)
            let elapsed = (ContinuousClock.now - start).seconds
            var status: Int?
            var retryAfter: String?
            let failure: ModelProviderError
            switch outcome {
            case .answered(let code, let headers, let body):
                logger.debug("model call answered", metadata: metadata(request, attempt: attempt, status: code,
                                                                      elapsed: (ContinuousClock.now - attemptStart).seconds))
                let response = WireResponse(status: code, body: body, attempts: attempt, elapsed: elapsed)
                guard RetryPolicy.isRetryable(status: code),
                      ServerComplaint.classify(status: code, body: body).isTransient else { return response }
                status = code
                retryAfter = headers.first(name: "retry-after")
                failure = httpError(response, request)
            case .timedOut:
                logger.debug("model call timed out", metadata: metadata(request, attempt: attempt, status: nil,
                                                                       elapsed: (ContinuousClock.now - attemptStart).seconds))
                let attempts = attempt == 1 ? "1 attempt" : "\(attempt) attempts"
                failure = error(.timeout, "provider '\(providerName)' timed out after \(secondsText(timeout)) s "
                                + "(\(request.label), \(attempts))")
            case .unreachable(let reason):
                logger.debug("model call could not connect", metadata: metadata(request, attempt: attempt, status: nil,
                                                                                elapsed: (ContinuousClock.now - attemptStart).seconds,
                                                                                reason: reason))
                failure = error(.unreachable, "cannot reach provider '\(providerName)' at \(Secrets.withoutCredentials(root)): \(reason)")
            }
            guard retryIndex < policy.retries else { throw failure }
            let wait = policy.delay(retryIndex: retryIndex, status: status, retryAfter: retryAfter)
            logger.debug("model call retrying", metadata: [
                "provider": "\(providerName)", "endpoint": "\(request.label)", "attempt": "\(attempt)",
                "wait_s": "\(String(format: "%.3f", wait))",
            ])
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            retryIndex += 1
        }
    }

    private enum Outcome: Sendable {
        case answered(Int, HTTPHeaders, [UInt8])
        case timedOut
        case unreachable(String)
    }

    private func exchangeOnce(_ request: WireRequest) -> Outcome {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: request.contentType)
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "User-Agent", value: "vidpipe")
        if let apiKey, !apiKey.isEmpty { headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        let http: HTTPClient.Request
        do {
            let base = request.fromServerRoot && root.hasSuffix("/v1") ? String(root.dropLast(3)) : root
            http = try HTTPClient.Request(url: base + request.path, method: request.method, headers: headers,
                                          body: request.method == .GET ? nil : .bytes(request.body))
        } catch {
            return .unreachable("the URL \(Secrets.withoutCredentials(root + request.path)) is not valid")
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        do {
            let response = try client.execute(request: http, deadline: deadline).wait()
            return .answered(Int(response.status.code), response.headers, response.body.map { Array(buffer: $0) } ?? [])
        } catch {
            return classify(error, deadline: deadline)
        }
    }

    /// NIO's and the HTTP client's errors in plain words.
    private func classify(_ error: any Error, deadline: NIODeadline) -> Outcome {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return .timedOut
            case .connectTimeout: return .unreachable("timed out")
            case .remoteConnectionClosed: return .unreachable("the server closed the connection")
            case .getConnectionFromPoolTimeout: return .timedOut
            case .cancelled where NIODeadline.now() >= deadline: return .timedOut
            default: return .unreachable(String(describing: error))
            }
        }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil { return .unreachable("host not found") }
            if let first = error.connectionErrors.first { return classify(first.error, deadline: deadline) }
            return .unreachable("host not found")
        }
        if error is SocketAddressError.UnknownHost || error is SocketAddressError { return .unreachable("host not found") }
        if let error = error as? ChannelError, case .connectTimeout = error { return .unreachable("timed out") }
        if let error = error as? IOError { return .unreachable(errnoWords(error.errnoCode)) }
        if NIODeadline.now() >= deadline { return .timedOut }
        return .unreachable(String(describing: error))
    }

    private func errnoWords(_ code: CInt) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case ETIMEDOUT: return "timed out"
        case EHOSTUNREACH: return "no route to host"
        case ENETUNREACH: return "network unreachable"
        case EPIPE: return "the server closed the connection"
        default: return String(cString: strerror(code)).lowercased()
        }
    }

    private func metadata(_ request: WireRequest, attempt: Int, status: Int?, elapsed: Double,
                          reason: String? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "provider": "\(providerName)", "endpoint": "\(request.label)", "model": "\(redact(request.model))",
            "attempt": "\(attempt)", "elapsed_s": "\(String(format: "%.3f", elapsed))",
        ]
        if let status { metadata["status"] = "\(status)" }
        if let reason { metadata["reason"] = "\(reason)" }
        return metadata
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// The secrets a provider's settings hold, in every form they may be written.
enum Secrets {
    static func forms(apiKey: String?, root: String) -> [(secret: String, mask: String)] {
        var forms: [(String, String)] = []
        if let credentials = credentials(root) {
            forms.append((credentials + "@", "[credentials]@"))
            // As an HTTP client sends them (Basic authorization), should a server echo its headers.
            forms.append((Data(credentials.utf8).base64EncodedString(), "[credentials]"))
            // The bare password too, where it is long enough not to mask ordinary words.
            if let password = URLComponents(string: root)?.password, password.count >= 6 {
                forms.append((password, "[password]"))
            }
        }
        if let apiKey, !apiKey.isEmpty {
            for form in [apiKey, apiKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics),
                         apiKey.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed),
                         apiKey.replacingOccurrences(of: "/", with: "\\/")] {
                if let form, !form.isEmpty, !forms.contains(where: { $0.0 == form }) { forms.append((form, "[api key]")) }
            }
        }
        // Longest first, so that a secret inside another is not half replaced.
        return forms.sorted { $0.0.count > $1.0.count }
    }

    /// The `user:password` (or `user`) part of a URL as written, if any.
    static func credentials(_ url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return nil }
        return String(authority[..<at])
    }

    /// The URL with its `user:password@` left out (for messages).
    static func withoutCredentials(_ url: String) -> String {
        guard let credentials = credentials(url) else { return url }
        return url.replacingOccurrences(of: credentials + "@", with: "")
    }
}
