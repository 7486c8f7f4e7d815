import Foundation

/// A stretch of media time to transcribe as one utterance: a speech segment with padding, at most
/// `maxLength` long.
struct SpeechWindow: Sendable, Equatable {
    var start: Double
    var end: Double

    /// The windows for the speech segments of `segments`, in time order: each padded by `padding`
    /// on both sides (clamped to 0...duration when the duration is known, > 0), overlapping ones
    /// merged, and any longer than `maxLength` cut into equal parts no longer than it.
    static func plan(_ segments: [AudioSegment], padding: Double, maxLength: Double, duration: Double) -> [SpeechWindow] {
        let limit = duration > 0 ? duration : Double.infinity
        let padded = segments
            .filter { $0.kind == .speech && $0.end > $0.start }
            .sorted { $0.start < $1.start }
            .map { SpeechWindow(start: max(0, $0.start - padding), end: min(limit, $0.end + padding)) }
            .filter { $0.end > $0.start }
        var merged: [SpeechWindow] = []
        for window in padded {
            if let last = merged.last, window.start <= last.end {
                merged[merged.count - 1].end = max(last.end, window.end)
            } else {
                merged.append(window)
            }
        }
        return merged.flatMap { $0.split(maxLength: maxLength) }
    }

    /// Equal parts no longer than `maxLength`.
    func split(maxLength: Double) -> [SpeechWindow] {
        let length = end - start
        guard maxLength > 0, length > maxLength else { return [self] }
        let parts = Int((length / maxLength).rounded(.up))
        let step = length / Double(parts)
        return (0..<parts).map { k in
            SpeechWindow(start: start + Double(k) * step, end: k == parts - 1 ? end : start + Double(k + 1) * step)
        }
    }
}
