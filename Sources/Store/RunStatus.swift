/// The state of one `vidpipe run` invocation (`runs.status`).
public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case running, done, failed, interrupted
}
