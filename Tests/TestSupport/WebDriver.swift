// WebDriver.swift — a small, dependency-free W3C WebDriver client for driving headless Chromium
// from tests: it starts `chromedriver` as a child process, opens one browser session and speaks the
// W3C protocol to it over a tiny blocking HTTP/1.1 client on a loopback socket (no URLSession, so
// no FoundationNetworking/libcurl).
//
// Needs Debian's `chromium` and `chromium-driver` (see install-browser.sh).
//
// Blocking: every method blocks the calling thread until chromedriver answers (a navigation until
// the page has loaded). Called directly from a Swift Testing test (or any async context) that
// blocks one thread of Swift concurrency's small cooperative pool — on a 2-core machine one of two.
// Nothing here needs that pool to make progress, so it cannot deadlock, but it can stall other
// tests running in parallel. For long sequences use `perform { driver in ... }` (and
// `WebDriver.start()`), which run the blocking work on the driver's own Dispatch queue and await it.
//
// Lifetime: `quit()` (idempotent, also called from deinit) deletes the session, which closes
// Chromium, then terminates chromedriver and, should the browser outlive both, signals the
// browser's own process (by the pid the session reported). chromedriver is started with
// posix_spawn, not Foundation.Process, so that SIGTERM reaches it (see `ChildProcess`). A test process that is killed outright
// (SIGKILL, crash) runs no deinit: chromedriver and Chromium are then left to whoever ends the run.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A WebDriver failure: either an error chromedriver answered with (`code` is the W3C error code,
/// e.g. "no such element", "javascript error", "session not created") or one of this client's own
/// (`code` is one of the `WebDriverError.*` constants below).
public struct WebDriverError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The W3C error code, or a local code (`startFailed`, `transport`, `invalidResponse`, `waitTimeout`).
    public let code: String
    public let message: String
    /// The HTTP status chromedriver answered with (nil for local errors).
    public let httpStatus: Int?

    /// chromedriver could not be started or did not get ready; the message carries its output.
    public static let startFailed = "chromedriver start failed"
    /// The connection to chromedriver failed or timed out.
    public static let transport = "transport error"
    /// chromedriver answered something that is not a WebDriver response.
    public static let invalidResponse = "invalid response"
    /// A `waitUntil` / `waitFor` condition was not met in time.
    public static let waitTimeout = "wait timeout"

    public init(code: String, message: String, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String {
        "WebDriverError(\(code)\(httpStatus.map { ", HTTP \($0)" } ?? "")): \(message)"
    }
    public var errorDescription: String? { description }
}

public final class WebDriver: @unchecked Sendable {

    /// A web element reference as returned by chromedriver (the W3C element id).
    public struct Element: Hashable, Sendable, Codable, CustomStringConvertible {
        /// The W3C key under which an element reference travels in JSON.
        public static let jsonKey = "element-6066-11e4-a52e-4f735466cecf"
        public let id: String
        public init(id: String) { self.id = id }
        public var description: String { "Element(\(id))" }

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            id = try c.decode(String.self, forKey: Key(stringValue: Element.jsonKey))
        }
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            try c.encode(id, forKey: Key(stringValue: Element.jsonKey))
        }
    }

    public struct Options: Sendable {
        /// chromedriver; nil looks for `chromedriver` on PATH, then /usr/lib/chromium/chromedriver.
        public var chromedriverPath: String? = nil
        /// The real Chromium binary, not Debian's /usr/bin/chromium wrapper script.
        public var browserBinary: String = "/usr/lib/chromium/chromium"
        public var browserArguments: [String] = Options.defaultBrowserArguments
        /// Bound on chromedriver getting ready (its port announced and `GET /status` ready).
        public var startupTimeout: TimeInterval = 20
        /// Bound on one command's HTTP round trip; keep it above the page-load and script timeouts.
        public var requestTimeout: TimeInterval = 90
        /// W3C session timeouts, sent with the new session.
        public var pageLoadTimeout: TimeInterval = 30
        public var scriptTimeout: TimeInterval = 30
        /// Capture the browser's console (see `browserLog()`).
        public var captureBrowserLog: Bool = true

        public static let defaultBrowserArguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu",
            "--autoplay-policy=no-user-gesture-required",
            "--window-size=1280,900", "--disable-dev-shm-usage",
        ]

        public init() {}
    }

    public let options: Options
    /// The session id chromedriver gave.
    public let sessionID: String
    /// The port chromedriver listens on (127.0.0.1).
    public let port: UInt16
    /// The capabilities the session was created with, as chromedriver reported them.
    public let capabilities: [String: Any]
    /// Chromium's main process id, if chromedriver reported it (`goog:processID`).
    public let browserPID: Int32?
    /// Wall time from launching chromedriver to the session being open.
    public let startupDuration: TimeInterval

    private let process: ChildProcess
    private let logURL: URL
    private let queue = DispatchQueue(label: "WebDriver")
    private let lock = NSLock()
    private var quitted = false

    // MARK: Start and stop

    /// Starts chromedriver, waits until it is ready and opens a browser session. Blocks (~1 s here).
    public init(options: Options = Options()) throws {
        self.options = options
        let started = Date()
        let driverPath = try WebDriver.findChromedriver(options.chromedriverPath)

        let logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("chromedriver-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        // --port=0: chromedriver binds a free port itself and announces it (no bind-then-release race).
        let process: ChildProcess
        do { process = try ChildProcess(executable: driverPath, arguments: ["--port=0"], outputPath: logURL.path) } catch {
            try? FileManager.default.removeItem(at: logURL)
            throw WebDriverError(code: WebDriverError.startFailed, message: "cannot run \(driverPath): \(error)")
        }

        func fail(_ why: String) -> WebDriverError {
            process.stop()
            let output = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: logURL)
            return WebDriverError(code: WebDriverError.startFailed,
                                  message: "\(why)\n--- chromedriver output ---\n\(output.suffix(4000))")
        }

        // 1. The port it announces ("ChromeDriver was started successfully on port 41235.").
        let deadline = started.addingTimeInterval(options.startupTimeout)
        var port: UInt16?
        while port == nil {
            if let text = try? String(contentsOf: logURL, encoding: .utf8),
               let range = text.range(of: "started successfully on port ") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                port = UInt16(digits)
            }
            if port != nil { break }
            if !process.isRunning { throw fail("chromedriver exited (\(process.exitDescription)) before announcing its port") }
            if Date() > deadline { throw fail("chromedriver announced no port within \(options.startupTimeout) s") }
            usleep(20_000)
        }
        let boundPort = port!

        // 2. GET /status until ready.
        while true {
            if let status = try? WebDriver.call(port: boundPort, "GET", "/status", nil, timeout: 2) as? [String: Any],
               status["ready"] as? Bool == true { break }
            if !process.isRunning { throw fail("chromedriver exited (\(process.exitDescription))") }
            if Date() > deadline { throw fail("chromedriver's /status was not ready within \(options.startupTimeout) s") }
            usleep(50_000)
        }

        // 3. The session.
        var chromeOptions: [String: Any] = ["binary": options.browserBinary, "args": options.browserArguments]
        chromeOptions["excludeSwitches"] = ["enable-automation"]  // no "controlled by automated software" bar
        var always: [String: Any] = [
            "browserName": "chrome",
            "goog:chromeOptions": chromeOptions,
            "timeouts": ["pageLoad": Int(options.pageLoadTimeout * 1000), "script": Int(options.scriptTimeout * 1000), "implicit": 0],
        ]
        if options.captureBrowserLog { always["goog:loggingPrefs"] = ["browser": "ALL"] }
        let session: [String: Any]
        do {
            let value = try WebDriver.call(port: boundPort, "POST", "/session",
                                           ["capabilities": ["alwaysMatch": always]], timeout: options.requestTimeout)
            guard let v = value as? [String: Any], v["sessionId"] is String else {
                throw fail("POST /session answered without a sessionId: \(String(describing: value))")
            }
            session = v
        } catch let error as WebDriverError where error.code != WebDriverError.startFailed {
            throw fail("could not create a session: \(error)")
        }

        self.process = process
        self.logURL = logURL
        self.port = boundPort
        self.sessionID = session["sessionId"] as! String
        let caps = session["capabilities"] as? [String: Any] ?? [:]
        self.capabilities = caps
        self.browserPID = (caps["goog:processID"] as? NSNumber)?.int32Value ?? (caps["goog:processID"] as? Int).map(Int32.init)
        self.startupDuration = Date().timeIntervalSince(started)
    }

    /// `init(options:)` run on a Dispatch thread, so the start-up wait blocks no concurrency thread.
    public static func start(_ options: Options = Options()) async throws -> WebDriver {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try WebDriver(options: options) })
            }
        }
    }

    /// Runs `body` on this driver's serial Dispatch queue and awaits it: the way to make a run of
    /// blocking calls from async code (a Swift Testing test) without holding a concurrency thread.
    public func perform<T: Sendable>(_ body: @escaping @Sendable (WebDriver) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    /// Deletes the session (closing Chromium) and terminates chromedriver. Idempotent; never throws.
    public func quit() {
        lock.lock()
        if quitted { lock.unlock(); return }
        quitted = true
        lock.unlock()

        _ = try? WebDriver.call(port: port, "DELETE", "/session/\(sessionID)", nil, timeout: 15)
        process.stop()
        // Chromium survives chromedriver's SIGTERM; if the DELETE did not close it, end it by its pid.
        if let pid = browserPID, WebDriver.isChromium(pid) {
            kill(pid, SIGTERM)
            let until = Date().addingTimeInterval(3)
            while WebDriver.isChromium(pid) && Date() < until { usleep(50_000) }
            if WebDriver.isChromium(pid) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    deinit { quit() }

    /// What chromedriver has printed so far (useful in a failing test's message).
    public var driverLog: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    // MARK: Navigation and page

    public func navigate(to url: String) throws {
        _ = try session("POST", "/url", ["url": url])
    }
    public func navigate(to url: URL) throws { try navigate(to: url.absoluteString) }

    public var currentURL: String { get throws { try session("GET", "/url") as? String ?? "" } }
    public var title: String { get throws { try session("GET", "/title") as? String ?? "" } }
    public var pageSource: String { get throws { try session("GET", "/source") as? String ?? "" } }

    public func back() throws { _ = try session("POST", "/back", [:]) }
    public func refresh() throws { _ = try session("POST", "/refresh", [:]) }

    // MARK: Elements

    /// The first element matching `css`; throws WebDriverError "no such element" if none does.
    public func findElement(css: String) throws -> Element {
        try element(from: session("POST", "/element", ["using": "css selector", "value": css]))
    }
    /// All elements matching `css` (empty if none).
    public func findElements(css: String) throws -> [Element] {
        guard let list = try session("POST", "/elements", ["using": "css selector", "value": css]) as? [Any] else {
            throw WebDriverError(code: WebDriverError.invalidResponse, message: "findElements: not a list")
        }
        return try list.map(element(from:))
    }
    /// Elements matching `css` inside `parent`.
    public func findElements(css: String, in parent: Element) throws -> [Element] {
        let value = try session("POST", "/element/\(parent.id)/elements", ["using": "css selector", "value": css])
        return try (value as? [Any] ?? []).map(element(from:))
    }

    public func click(_ element: Element) throws { _ = try session("POST", "/element/\(element.id)/click", [:]) }
    /// The element's rendered (visible) text.
    public func text(_ element: Element) throws -> String {
        try session("GET", "/element/\(element.id)/text") as? String ?? ""
    }
    /// The element's attribute (nil if it has none).
    public func attribute(_ element: Element, _ name: String) throws -> String? {
        try session("GET", "/element/\(element.id)/attribute/\(WebDriver.pathEscape(name))") as? String
    }
    /// The element's DOM property, e.g. "value", "checked", "currentTime" (JSON-shaped, nil if null).
    public func property(_ element: Element, _ name: String) throws -> Any? {
        try WebDriver.unwrap(session("GET", "/element/\(element.id)/property/\(WebDriver.pathEscape(name))"))
    }
    public func isDisplayed(_ element: Element) throws -> Bool {
        try session("GET", "/element/\(element.id)/displayed") as? Bool ?? false
    }
    public func clear(_ element: Element) throws { _ = try session("POST", "/element/\(element.id)/clear", [:]) }
    public func sendKeys(_ element: Element, _ text: String) throws {
        _ = try session("POST", "/element/\(element.id)/value", ["text": text])
    }

    // MARK: Scripts

    /// Runs `js` as a function body (`return` gives the result; arguments are `arguments[i]`).
    /// `args` may hold strings, numbers, bools, NSNull, arrays, dictionaries and `Element`s.
    /// The result is JSON-shaped (String, Int/Double, Bool, [Any], [String: Any]), elements come back as
    /// `Element`, and null/undefined as nil. A thrown JS error is WebDriverError "javascript error".
    @discardableResult
    public func executeScript(_ js: String, args: [Any] = []) throws -> Any? {
        try WebDriver.unwrap(session("POST", "/execute/sync", ["script": js, "args": args.map(WebDriver.encodeArgument)]))
    }

    /// Like `executeScript`, with the result decoded as `T` (e.g. Double, [String], a Decodable struct).
    public func executeScript<T: Decodable>(_ js: String, args: [Any] = [], as type: T.Type) throws -> T {
        let raw = try session("POST", "/execute/sync", ["script": js, "args": args.map(WebDriver.encodeArgument)])
        return try WebDriver.decode(raw, as: type)
    }

    /// Runs `js` with a callback as its last argument (`arguments[arguments.length - 1]`); the value
    /// passed to the callback is the result. Bounded by `options.scriptTimeout` ("script timeout").
    @discardableResult
    public func executeAsyncScript(_ js: String, args: [Any] = []) throws -> Any? {
        try WebDriver.unwrap(session("POST", "/execute/async", ["script": js, "args": args.map(WebDriver.encodeArgument)]))
    }

    public func executeAsyncScript<T: Decodable>(_ js: String, args: [Any] = [], as type: T.Type) throws -> T {
        let raw = try session("POST", "/execute/async", ["script": js, "args": args.map(WebDriver.encodeArgument)])
        return try WebDriver.decode(raw, as: type)
    }

    // MARK: Screenshots and logs

    /// A PNG of the viewport.
    public func screenshotPNG() throws -> Data {
        try decodePNG(session("GET", "/screenshot"))
    }
    /// A PNG of one element.
    public func screenshotPNG(of element: Element) throws -> Data {
        try decodePNG(session("GET", "/element/\(element.id)/screenshot"))
    }

    /// The browser console's entries since the last call ("LEVEL message"), if `captureBrowserLog`.
    public func browserLog() throws -> [String] {
        let value = try session("POST", "/se/log", ["type": "browser"])
        return (value as? [[String: Any]] ?? []).map { "\($0["level"] ?? "") \($0["message"] ?? "")" }
    }

    // MARK: Waiting

    /// Polls `condition` every `poll` seconds until it is true; throws WebDriverError `waitTimeout`
    /// after `timeout`. Errors thrown by `condition` end the wait at once (use `try?` inside to ignore them).
    public func waitUntil(timeout: TimeInterval = 10, poll: TimeInterval = 0.1,
                          _ what: @autoclosure () -> String = "condition",
                          _ condition: () throws -> Bool) throws {
        _ = try waitFor(timeout: timeout, poll: poll, what()) { try condition() ? true : nil }
    }

    /// Polls `body` until it returns non-nil and returns that value; throws `waitTimeout` after `timeout`.
    public func waitFor<T>(timeout: TimeInterval = 10, poll: TimeInterval = 0.1,
                           _ what: @autoclosure () -> String = "condition",
                           _ body: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let value = try body() { return value }
            if Date() >= deadline {
                throw WebDriverError(code: WebDriverError.waitTimeout, message: "\(what()) not met within \(timeout) s")
            }
            usleep(useconds_t(max(0.001, poll) * 1_000_000))
        }
    }

    /// Waits until `css` matches at least one element and returns the first.
    public func waitForElement(css: String, timeout: TimeInterval = 10) throws -> Element {
        try waitFor(timeout: timeout, "element \(css)") { try findElements(css: css).first }
    }

    // MARK: Protocol plumbing

    /// Sends a command within this session; returns the response's "value".
    private func session(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
        lock.lock()
        let gone = quitted
        lock.unlock()
        if gone { throw WebDriverError(code: "invalid session id", message: "quit() was called") }
        return try WebDriver.call(port: port, method, "/session/\(sessionID)\(path)", body, timeout: options.requestTimeout)
    }

    private func element(from value: Any?) throws -> Element {
        guard let dict = value as? [String: Any], let id = dict[Element.jsonKey] as? String else {
            throw WebDriverError(code: WebDriverError.invalidResponse, message: "not an element reference: \(String(describing: value))")
        }
        return Element(id: id)
    }

    private func decodePNG(_ value: Any?) throws -> Data {
        guard let b64 = value as? String, let data = Data(base64Encoded: b64) else {
            throw WebDriverError(code: WebDriverError.invalidResponse, message: "screenshot is not base64")
        }
        return data
    }

    private static func encodeArgument(_ value: Any) -> Any {
        switch value {
        case let e as Element: return [Element.jsonKey: e.id]
        case let a as [Any]: return a.map(encodeArgument)
        case let d as [String: Any]: return d.mapValues(encodeArgument)
        case let u as URL: return u.absoluteString
        default: return value
        }
    }

    /// JSON value → Swift: null → nil, element references → Element (also inside arrays/objects).
    private static func unwrap(_ value: Any?) -> Any? {
        func convert(_ v: Any) -> Any {
            if let d = v as? [String: Any] {
                if d.count == 1, let id = d[Element.jsonKey] as? String { return Element(id: id) }
                return d.mapValues(convert)
            }
            if let a = v as? [Any] { return a.map(convert) }
            return v
        }
        guard let value, !(value is NSNull) else { return nil }
        return convert(value)
    }

    private static func decode<T: Decodable>(_ value: Any?, as type: T.Type) throws -> T {
        do {
            let data = try JSONSerialization.data(withJSONObject: value ?? NSNull(), options: [.fragmentsAllowed])
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw WebDriverError(code: WebDriverError.invalidResponse,
                                 message: "script result \(String(describing: value)) is not a \(T.self): \(error)")
        }
    }

    private static func pathEscape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }

    /// One WebDriver command: JSON in, the response's "value" out, W3C errors thrown.
    private static func call(port: UInt16, _ method: String, _ path: String, _ body: [String: Any]?,
                             timeout: TimeInterval) throws -> Any? {
        var payload: Data?
        if let body {
            do { payload = try JSONSerialization.data(withJSONObject: body) } catch {
                throw WebDriverError(code: "invalid argument", message: "\(method) \(path): body is not JSON-serialisable: \(error)")
            }
        }
        let (status, data) = try HTTP.request(port: port, method: method, path: path, body: payload, timeout: timeout)
        guard let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any],
              json.keys.contains("value") else {
            throw WebDriverError(code: WebDriverError.invalidResponse,
                                 message: "\(method) \(path): HTTP \(status): \(String(decoding: data.prefix(500), as: UTF8.self))",
                                 httpStatus: status)
        }
        let value = json["value"]
        if !(200..<300).contains(status) || (value as? [String: Any])?["error"] is String {
            let v = value as? [String: Any] ?? [:]
            throw WebDriverError(code: v["error"] as? String ?? "unknown error",
                                 message: "\(method) \(path): \(v["message"] as? String ?? "")", httpStatus: status)
        }
        return value
    }

    private static func findChromedriver(_ explicit: String?) throws -> String {
        if let explicit { return explicit }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let candidates = path.split(separator: ":").map { "\($0)/chromedriver" } + ["/usr/lib/chromium/chromedriver"]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw WebDriverError(code: WebDriverError.startFailed,
                             message: "chromedriver not found on PATH nor at /usr/lib/chromium/chromedriver (install chromium-driver)")
    }

    /// Whether `pid` is alive and still a Chromium process (guards against pid reuse).
    private static func isChromium(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        #if os(Linux)
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
        // A zombie (state Z) is gone already; only its parent can reap it.
        if status.contains("State:\tZ") { return false }
        guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: cmd, as: UTF8.self).contains("chrom")
        #else
        return true
        #endif
    }
}

// MARK: - chromedriver's process

/// A child started with posix_spawn with an empty signal mask and default signal dispositions.
/// Foundation.Process on Linux hands the child the spawning thread's signal mask, and Dispatch and
/// Swift-concurrency threads block SIGTERM, so a child started from a test could not be terminated
/// (swift-corelibs-foundation issue 4772); chromedriver would also pass that mask on to Chromium.
/// Public because tests need the same for the servers they start (e.g. `vidpipe serve`).
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    /// Runs `executable` (a path, or a name looked up on PATH) with stdin from /dev/null and stdout and stderr appended to `outputPath`.
    public init(executable: String, arguments: [String], outputPath: String) throws {
        #if canImport(Darwin)
        var attr: posix_spawnattr_t? = nil
        var actions: posix_spawn_file_actions_t? = nil
        #else
        var attr = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #endif
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, executable, &actions, &attr, argv, environ)  // searches PATH
        guard rc == 0 else {
            throw WebDriverError(code: WebDriverError.startFailed, message: "posix_spawn \(executable): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    /// Reaps the child if it has exited.
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if status != nil { return false }
        var raw: Int32 = 0
        let r = waitpid(pid, &raw, WNOHANG)
        if r == 0 { return true }
        status = r == pid ? raw : -1  // -1: reaped by someone else (ECHILD)
        return false
    }

    public var exitDescription: String {
        guard !isRunning, let raw = status else { return "running" }
        if raw == -1 { return "exit status unknown" }
        let signal = raw & 0x7f
        return signal == 0 ? "status \((raw >> 8) & 0xff)" : "signal \(signal)"
    }

    /// SIGTERM, then SIGKILL after `grace` seconds; reaps the child.
    public func stop(grace: TimeInterval = 3) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let until = Date().addingTimeInterval(grace)
        while isRunning && Date() < until { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(10_000) }
        }
    }

    deinit { stop() }
}

// MARK: - A minimal blocking HTTP/1.1 client for 127.0.0.1 (one connection per request)

private enum HTTP {
    static func request(port: UInt16, method: String, path: String, body: Data?,
                        timeout: TimeInterval) throws -> (status: Int, body: Data) {
        let deadline = Date().addingTimeInterval(timeout)
        func failure(_ what: String) -> WebDriverError {
            WebDriverError(code: WebDriverError.transport, message: "\(method) \(path) on 127.0.0.1:\(port): \(what)")
        }
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { throw failure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        let sendFlags: Int32 = 0
        #else
        let sendFlags = Int32(MSG_NOSIGNAL)
        #endif

        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian  // 127.0.0.1
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw failure("connect: \(String(cString: strerror(errno)))") }

        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nAccept: application/json\r\n"
        if let body { head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n" }
        else if method == "POST" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        var outgoing = Data(head.utf8)
        if let body { outgoing.append(body) }
        try outgoing.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, sendFlags)
                if n < 0 { if errno == EINTR { continue }; throw failure("send: \(String(cString: strerror(errno)))") }
                sent += n
            }
        }

        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var status = 0
        var contentLength: Int?
        var chunked = false
        while true {
            if let end = headerEnd {
                let bodySoFar = received.count - end
                if let contentLength, bodySoFar >= contentLength { break }
                if chunked, let decoded = decodeChunked(received[end...]) { return (status, decoded) }
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { throw failure("no complete answer within \(timeout) s") }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining * 1000, 60_000)) + 1)
            if ready < 0 { if errno == EINTR { continue }; throw failure("poll: \(String(cString: strerror(errno)))") }
            if ready == 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { if errno == EINTR { continue }; throw failure("recv: \(String(cString: strerror(errno)))") }
            if n == 0 { break }  // EOF: the server closed (Connection: close)
            received.append(contentsOf: buffer[0..<n])
            if headerEnd == nil, let r = received.range(of: Data("\r\n\r\n".utf8)) {
                headerEnd = r.upperBound
                let lines = String(decoding: received[..<r.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                let statusParts = lines.first?.split(separator: " ") ?? []
                status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if name == "content-length" { contentLength = Int(value) }
                    if name == "transfer-encoding", value.lowercased().contains("chunked") { chunked = true }
                }
            }
        }
        guard let end = headerEnd, status > 0 else { throw failure("connection closed without an HTTP answer") }
        if chunked {
            guard let decoded = decodeChunked(received[end...]) else { throw failure("truncated chunked body") }
            return (status, decoded)
        }
        let body = received[end...]
        return (status, Data(contentLength.map { body.prefix($0) } ?? body))
    }

    /// Decodes a complete chunked body; nil while it is still incomplete.
    private static func decodeChunked(_ data: Data) -> Data? {
        var out = Data()
        var i = data.startIndex
        let crlf = Data("\r\n".utf8)
        while true {
            guard let lineEnd = data.range(of: crlf, in: i..<data.endIndex) else { return nil }
            let sizeText = String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            guard let size = Int(sizeText, radix: 16) else { return nil }
            let start = lineEnd.upperBound
            if size == 0 { return out }
            guard data.endIndex - start >= size + 2 else { return nil }
            out.append(data[start..<(start + size)])
            i = start + size + 2
        }
    }
}
