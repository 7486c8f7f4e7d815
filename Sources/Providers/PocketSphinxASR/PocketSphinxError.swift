/// A PocketSphinx failure: what failed and what to do about it.
public struct PocketSphinxError: Error, Sendable, CustomStringConvertible {
    /// The operation that failed, e.g. "load model" or "decode".
    public var operation: String
    public var message: String
    /// What the user can do, e.g. which Debian package to install.
    public var hint: String?

    public init(operation: String, _ message: String, hint: String? = nil) {
        self.operation = operation
        self.message = message
        self.hint = hint
    }

    public var description: String {
        "pocketsphinx: \(operation): \(message)" + (hint.map { " (\($0))" } ?? "")
    }
}
