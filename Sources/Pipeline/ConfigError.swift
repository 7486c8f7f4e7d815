import Foundation

/// A problem in a pipeline file, with where it is and what would be valid.
/// Printed as `file:line:column: error: message` followed by the offending line, a caret and a hint.
public struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String
    public var hint: String?
    /// The source line with a caret under the column, when the text is known.
    public var snippet: String?


    public var description: String {
        var text = "\(file):\(line):\(column): error: \(message)"
        if let snippet { text += "\n" + snippet }
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}

/// Every problem found in one pipeline file (validation reports them all, not just the first).
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The closest candidate by edit distance, for "did you mean" hints.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    let scored = candidates.map { ($0, distance(Array(word), Array($0))) }.min { $0.1 < $1.1 }
    guard let best = scored, best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}
