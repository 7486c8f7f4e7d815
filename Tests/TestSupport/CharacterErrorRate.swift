/// Character error rate for OCR tests: edit distance between the texts with runs of whitespace
/// (including line breaks) collapsed to one space, divided by the reference's length.
public enum CharacterErrorRate {
    public static func of(_ hypothesis: String, reference: String) -> Double {
        let hyp = Array(normalized(hypothesis)), ref = Array(normalized(reference))
        guard !ref.isEmpty else { return hyp.isEmpty ? 0 : 1 }
        return Double(editDistance(hyp, ref)) / Double(ref.count)
    }

    /// Words separated by single spaces, no leading or trailing space.
    public static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Levenshtein distance (insertions, deletions, substitutions all cost 1).
    public static func editDistance<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
