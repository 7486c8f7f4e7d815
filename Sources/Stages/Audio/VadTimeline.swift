import Foundation

/// Turns the speech spans a VAD found into contiguous, alternating speech/silence segments that
/// cover the whole track: each span is widened by `padding` on both sides (within the track),
/// spans that then overlap or touch are merged, and the gaps become silence.
enum VadTimeline {
    struct Span: Equatable {
        var kind: AudioSegmentKind
        var start: Double
        var end: Double
    }

    /// `speech`: (start, end) seconds from the track's first sample, in any order.
    static func spans(speech: [(start: Double, end: Double)], duration: Double, padding: Double) -> [Span] {
        guard duration > 0 else { return [] }
        var merged: [(start: Double, end: Double)] = []
        for s in speech.sorted(by: { $0.start < $1.start }) {
            let start = max(0, s.start - padding), end = min(duration, s.end + padding)
            guard end > start else { continue }
            if let last = merged.last, start <= last.end {
                merged[merged.count - 1].end = max(last.end, end)
            } else {
                merged.append((start, end))
            }
        }
        var spans: [Span] = []
        var cursor = 0.0
        for s in merged {
            if s.start > cursor { spans.append(Span(kind: .silence, start: cursor, end: s.start)) }
            spans.append(Span(kind: .speech, start: s.start, end: s.end))
            cursor = s.end
        }
        if cursor < duration { spans.append(Span(kind: .silence, start: cursor, end: duration)) }
        return spans
    }
}
