import Foundation

/// Lays the words of one cue out in lines of at most `maxChars` characters, at most `maxLines`
/// lines, the way broadcast captioners do: one line when the text fits on one; otherwise the
/// fewest lines it needs, broken where the result reads best — lines of similar length, breaks
/// after punctuation, no line that is a single word when there are more words than lines, no line
/// ending on an article or short preposition, and a last line at least a third as long as the
/// longest one.
struct CaptionLineBreaker: Sendable {
    var maxChars: Int
    var maxLines: Int

    /// Number of lines a greedy fill needs: the fewest possible (every word is at most `maxChars`).
    func greedyLineCount(_ words: [String]) -> Int {
        guard !words.isEmpty else { return 0 }
        var lines = 1
        var length = 0
        for word in words {
            if length == 0 {
                length = word.count
            } else if length + 1 + word.count <= maxChars {
                length += 1 + word.count
            } else {
                lines += 1
                length = word.count
            }
        }
        return lines
    }

    /// True when the words can be shown in at most `maxLines` lines of at most `maxChars`.
    func fits(_ words: [String]) -> Bool {
        greedyLineCount(words) <= maxLines && words.allSatisfy { $0.count <= maxChars }
    }

    /// The best layout of `words` in the fewest lines; a greedy fill when no layout keeps every
    /// line within `maxChars` (only when the words do not `fit`).
    func lines(_ words: [String]) -> [String] {
        guard !words.isEmpty else { return [] }
        let lineCount = greedyLineCount(words)
        if lineCount <= 1 { return [words.joined(separator: " ")] }
        var best: (cost: Double, breaks: [Int])?
        var breaks: [Int] = []
        search(words, from: 0, linesLeft: lineCount, breaks: &breaks, best: &best)
        guard let chosen = best else { return greedy(words) }
        var result: [String] = []
        var start = 0
        for end in chosen.breaks {
            result.append(words[start..<end].joined(separator: " "))
            start = end
        }
        return result
    }

    /// Tries every way to cut words[from...] into `linesLeft` lines of at most `maxChars`;
    /// `breaks` holds the end index (exclusive) of each line so far.
    private func search(_ words: [String], from: Int, linesLeft: Int, breaks: inout [Int],
                        best: inout (cost: Double, breaks: [Int])?) {
        if linesLeft == 1 {
            guard length(words, from, words.count) <= maxChars else { return }
            breaks.append(words.count)
            let c = cost(words, breaks)
            if best == nil || c < best!.cost { best = (c, breaks) }
            breaks.removeLast()
            return
        }
        var end = from + 1
        // Leave at least one word for each remaining line.
        while end <= words.count - (linesLeft - 1), length(words, from, end) <= maxChars {
            breaks.append(end)
            search(words, from: end, linesLeft: linesLeft - 1, breaks: &breaks, best: &best)
            breaks.removeLast()
            end += 1
        }
    }

    /// Lower is better. Units are roughly "characters of imbalance".
    private func cost(_ words: [String], _ breaks: [Int]) -> Double {
        var lengths: [Int] = []
        var start = 0
        for end in breaks {
            lengths.append(length(words, start, end))
            start = end
        }
        let mean = Double(lengths.reduce(0, +)) / Double(lengths.count)
        var cost = 0.5 * lengths.reduce(0.0) { $0 + abs(Double($1) - mean) }
        start = 0
        for (i, end) in breaks.enumerated() {
            let lastWord = CaptionWord(text: words[end - 1], start: 0, end: 0)
            if i < breaks.count - 1 {
                if lastWord.endsSentence { cost -= 14 } else if lastWord.endsClause { cost -= 12 }
                if lastWord.isWeakEnding { cost += 5 }
            }
            if end - start == 1 && words.count > breaks.count { cost += 15 }
            start = end
        }
        if let longest = lengths.max(), let last = lengths.last, 3 * last < longest { cost += 10 }
        return cost
    }

    private func length(_ words: [String], _ from: Int, _ to: Int) -> Int {
        guard to > from else { return 0 }
        return words[from..<to].reduce(to - from - 1) { $0 + $1.count }
    }

    private func greedy(_ words: [String]) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in words {
            if current.isEmpty {
                current = word
            } else if current.count + 1 + word.count <= maxChars {
                current += " " + word
            } else {
                lines.append(current)
                current = word
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
