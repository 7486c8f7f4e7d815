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
/// Only the first `PipelineLimits.printedErrors` carry a snippet and a hint and are printed in full;
/// the rest are counted in one closing line.
public struct ConfigErrors: Error, CustomStringConvertible, Sendable {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String {
        let shown = errors.prefix(PipelineLimits.printedErrors).map(\.description)
        let more = errors.count - shown.count
        return (shown + (more > 0 ? ["… and \(more) more error\(more == 1 ? "" : "s")"] : [])).joined(separator: "\n")
    }
}

/// The closest candidate by edit distance, for "did you mean" hints.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    // A long word is nobody's typo of a key name (and would make the table large).
    guard word.count <= 100 else { return nil }
    let a = Array(word)
    let allowed = max(2, a.count / 3)
    func distance(_ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for (i, ca) in a.enumerated() {
            current[0] = i + 1
            for (j, cb) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
    var best: (String, Int)?
    for candidate in candidates {
        let b = Array(candidate)
        // Lengths further apart than the allowed distance cannot be close enough.
        guard abs(b.count - a.count) <= min(allowed, best?.1 ?? allowed) else { continue }
        let d = distance(b)
        if d <= allowed, d < (best?.1 ?? .max) { best = (candidate, d) }
    }
    return best?.0
}

/// How the file's text is shown in messages: control characters (and the invisible ones that
/// reorder or break a line) as `\u{…}` escapes, so a message stays on one line and a snippet's caret
/// stays under the character it means.
enum ShownText {
    /// `text` with every control character escaped, cut after `limit` characters.
    static func escaped(_ text: String, limit: Int = 300) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count >= limit {
                out += "…"
                break
            }
            out += shown(scalar)
            count += 1
        }
        return out
    }

    /// One scalar as it is printed.
    static func shown(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x09: return "\\t"
        case 0x00..<0x20, 0x7F...0x9F, 0x200B, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        default: return String(scalar)
        }
    }

    /// Terminal columns a printed scalar takes (escapes are ASCII; East Asian wide characters take two).
    static func width(_ scalar: Unicode.Scalar, shown: String) -> Int {
        if shown.count > 1 { return shown.count }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default: return 1
        }
    }
}

/// A pipeline file's text cut into lines the way libyaml counts them (LF, CR LF, CR, NEL, LS, PS),
/// so that a line and column from the parser name the same character here. The table is built once,
/// the first time an error needs it.
final class SourceLines {
    let text: String
    private var table: [Range<String.Index>]?

    init(_ text: String) { self.text = text }

    var lines: [Range<String.Index>] {
        if let table { return table }
        var out: [Range<String.Index>] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var i = start
        while i < scalars.endIndex {
            switch scalars[i].value {
            case 0x0A, 0x85, 0x2028, 0x2029:
                out.append(start..<i)
                i = scalars.index(after: i)
                start = i
            case 0x0D:
                out.append(start..<i)
                i = scalars.index(after: i)
                if i < scalars.endIndex, scalars[i] == "\n" { i = scalars.index(after: i) }
                start = i
            default:
                i = scalars.index(after: i)
            }
        }
        out.append(start..<scalars.endIndex)
        table = out
        return out
    }

    /// The line and column (both from 1, the column in Unicode scalars) of a position in the text.
    func position(of index: String.Index) -> SourcePosition {
        let table = lines
        var low = 0, high = table.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if table[mid].lowerBound <= index { low = mid } else { high = mid - 1 }
        }
        let column = text.unicodeScalars.distance(from: table[low].lowerBound, to: max(index, table[low].lowerBound))
        return SourcePosition(line: low + 1, column: column + 1)
    }

    /// The index of a line and column, if the text has them.
    func index(line: Int, column: Int) -> String.Index? {
        let table = lines
        guard line >= 1, line <= table.count, column >= 1 else { return nil }
        return text.unicodeScalars.index(table[line - 1].lowerBound, offsetBy: column - 1, limitedBy: table[line - 1].upperBound)
    }

    /// The line, indented by two, with a caret under `column`: control characters escaped and a
    /// long line cut to a window around the column.
    func snippet(line: Int, column: Int, window: Int = 100) -> String? {
        let table = lines
        guard line >= 1, line <= table.count else { return nil }
        let scalars = text.unicodeScalars[table[line - 1]]
        let before = max(0, column - 1)
        var i = scalars.startIndex
        var skipped = false
        if before > window / 2 {
            let start = scalars.index(i, offsetBy: before - window / 2, limitedBy: scalars.endIndex) ?? scalars.endIndex
            skipped = start > i
            i = start
        }
        var shown = skipped ? "…" : ""
        var caret = skipped ? 1 : 0
        var columns = 0
        var taken = skipped ? before - window / 2 : 0
        while i < scalars.endIndex {
            if columns >= window {
                shown += "…"
                break
            }
            let cell = ShownText.shown(scalars[i])
            let width = ShownText.width(scalars[i], shown: cell)
            shown += cell
            columns += width
            if taken < before { caret += width }
            taken += 1
            i = scalars.index(after: i)
        }
        // A column past the end of the line (an error at the end) puts the caret just after it.
        if taken < before { caret += min(before - taken, 1) }
        return "  " + shown + "\n  " + String(repeating: " ", count: caret) + "^"
    }
}
