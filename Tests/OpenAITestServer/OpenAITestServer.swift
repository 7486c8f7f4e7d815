import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// A scriptable HTTP/1.1 server on 127.0.0.1 that stands in for an OpenAI-compatible model server in tests.
///
/// It binds a free port, reads each request whole, records it (method, path, headers, body), counts the
/// requests in flight (and the most ever at once), and answers with whatever the handler returns —
/// after the response's `delay`, if any. Keep-alive connections are fine.
///
///     let server = OpenAITestServer { request in
///         request.path == "/v1/chat/completions" ? .chatCompletion("a cat") : .error(status: 404, message: "no")
///     }
///     try await server.start()
///     defer { Task { await server.shutdown() } }   // or `await server.shutdown()` at the end
///     // point a provider at server.baseURL ("http://127.0.0.1:PORT/v1") …
///     #expect(server.requests.count == 1)
///
/// Handlers run on the server's own event-loop thread and delays are timers on it: nothing waits for
/// Swift concurrency's pool, which other tests in the same process may keep busy with blocking work
/// (a handler must therefore answer at once; use `TestResponse.delayed(_:)` for a slow server).
public final class OpenAITestServer: Sendable {
    public typealias Handler = @Sendable (RecordedRequest) -> TestResponse

    private let state: ServerState
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// - Parameter handler: answers every request; `OpenAITestServer.standardHandler` when omitted.
    public init(handler: @escaping Handler = OpenAITestServer.standardHandler) {
        state = ServerState(handler: handler)
    }

    /// A server already listening: `try await OpenAITestServer.started { request in … }`.
    public static func started(handler: @escaping Handler = OpenAITestServer.standardHandler) async throws -> OpenAITestServer {
        let server = OpenAITestServer(handler: handler)
        try await server.start()
        return server
    }

    /// Binds 127.0.0.1 on a free port and starts serving.
    public func start() async throws {
        let state = self.state
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RequestCollector(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        state.started(channel)
    }

    /// Stops listening, cancels answers still waiting out their delay, closes every connection.
    public func shutdown() async {
        guard let channel = state.stopping() else { return }
        try? await channel.close()
        // Answers still waiting out their delay are dropped; the event loop's shutdown closes every connection.
        for timer in state.pendingTimers() { timer.cancel() }
        try? await group.shutdownGracefully()
    }

    /// The port bound by `start()` (0 before).
    public var port: Int { state.port }

    /// `http://127.0.0.1:PORT/v1`: what a provider's base URL should be.
    public var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    /// Replaces the handler for the requests that arrive from now on.
    public func setHandler(_ handler: @escaping Handler) { state.setHandler(handler) }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { state.recorded() }

    /// The requests received so far for one path, e.g. `/v1/chat/completions`.
    public func requests(path: String) -> [RecordedRequest] { requests.filter { $0.path == path } }

    /// Requests being handled right now (received whole, not yet answered).
    public var inFlight: Int { state.counts().current }

    /// The most requests ever in flight at once.
    public var maxInFlight: Int { state.counts().max }

    /// Forgets the recorded requests and the in-flight maximum (the request index keeps counting).
    public func resetRecords() { state.reset() }

    /// Answers like a healthy server: a chat completion echoing the last user text on
    /// `/v1/chat/completions`, a two-segment `verbose_json` on `/v1/audio/transcriptions`, one small vector per
    /// input on `/v1/embeddings`, 404 elsewhere.
    public static let standardHandler: Handler = { request in
        switch request.path {
        case "/v1/chat/completions":
            let messages = request.jsonObject?["messages"] as? [[String: Any]] ?? []
            let last = messages.last?["content"] as? String ?? "image"
            return .chatCompletion("echo: \(last)", model: request.jsonObject?["model"] as? String ?? "test-model")
        case "/v1/audio/transcriptions":
            return .verboseTranscription([.init(start: 0, end: 1.5, text: "hello there"),
                                          .init(start: 1.5, end: 3, text: "general kenobi")])
        case "/v1/embeddings":
            let inputs = request.jsonObject?["input"] as? [Any] ?? []
            return .embeddings(inputs.indices.map { i in [Double(i), 1, 0.5] })
        default:
            return .error(status: 404, message: "no route for \(request.method) \(request.path)", type: "not_found")
        }
    }

    /// A loopback port with nothing listening, for "connection refused" tests: a TCP socket bound to
    /// it and never listening, kept open for the rest of the test process, so no other server (a
    /// parallel test, a browser) can take the port meanwhile; connecting to it is refused.
    public static func closedPort() async throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReservedPortError(reason: String(cString: strerror(errno))) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ReservedPortError(reason: String(cString: strerror(errno))) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct ReservedPortError: Error, CustomStringConvertible {
    var reason: String
    var description: String { "cannot reserve a loopback port: \(reason)" }
}

/// Shared between the server object and its connection handlers.
// @unchecked Sendable: every stored property is read and written only under `lock`.
final class ServerState: @unchecked Sendable {
    private let lock = NSLock()
    private var handler: OpenAITestServer.Handler
    private var channel: Channel?
    private var boundPort = 0
    private var stopped = false
    private var records: [RecordedRequest] = []
    private var nextIndex = 0
    private var current = 0
    private var most = 0
    private var timers: [Int: Scheduled<Void>] = [:]

    init(handler: @escaping OpenAITestServer.Handler) { self.handler = handler }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    func started(_ channel: Channel) {
        locked {
            self.channel = channel
            boundPort = channel.localAddress?.port ?? 0
        }
    }

    /// The listening channel, once; nil when already stopped or never started.
    func stopping() -> Channel? {
        locked {
            if stopped { return nil }
            stopped = true
            return channel
        }
    }

    var port: Int { locked { boundPort } }
    func setHandler(_ handler: @escaping OpenAITestServer.Handler) { locked { self.handler = handler } }
    func recorded() -> [RecordedRequest] { locked { records } }
    func counts() -> (current: Int, max: Int) { locked { (current, most) } }
    func reset() {
        locked {
            records.removeAll()
            most = current
        }
    }

    /// Records a complete request and counts it in flight; returns its index and the handler to answer it.
    func begin(method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8])
        -> (RecordedRequest, OpenAITestServer.Handler) {
        locked {
            let request = RecordedRequest(index: nextIndex, method: method, uri: uri, headers: headers, body: body)
            nextIndex += 1
            records.append(request)
            current += 1
            most = max(most, current)
            return (request, handler)
        }
    }

    /// Called on the event loop, before the timer can fire (it fires on the same loop).
    func track(_ timer: Scheduled<Void>, index: Int) { locked { timers[index] = timer } }

    func finish(index: Int) {
        locked {
            current -= 1
            timers.removeValue(forKey: index)
        }
    }

    func pendingTimers() -> [Scheduled<Void>] { locked { Array(timers.values) } }
}

/// Collects one request's head and body, then answers it on the event loop (a delay is a timer, never a wait).
final class RequestCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: ServerState
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(state: ServerState) { self.state = state }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            self.head = nil
            let (request, handler) = state.begin(method: head.method.rawValue, uri: head.uri,
                                                 headers: head.headers.map { ($0.name, $0.value) }, body: body)
            body = []
            let keepAlive = head.isKeepAlive
            let response = handler(request)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            let state = self.state
            let answer = {
                RequestCollector.write(response, keepAlive: keepAlive, on: bound.value) { state.finish(index: request.index) }
            }
            if response.delay > 0 {
                let timer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(response.delay * 1000))) { answer() }
                state.track(timer, index: request.index)
            } else {
                answer()
            }
        }
    }

    private static func write(_ response: TestResponse, keepAlive: Bool, on context: ChannelHandlerContext,
                              then: @escaping @Sendable () -> Void) {
        var head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status))
        for (name, value) in response.headers { head.headers.add(name: name, value: value) }
        head.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { head.headers.replaceOrAdd(name: "Connection", value: "close") }
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
            then()
        }
    }
}
