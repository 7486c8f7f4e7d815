/// A row of `subtitle_cues`: one caption cue; `text` holds its lines separated by "\n".
public struct SubtitleCueRow: Sendable, Equatable {
    public var idx: Int
    public var startS: Double
    public var endS: Double
    public var text: String

    public init(idx: Int, startS: Double, endS: Double, text: String) {
        self.idx = idx
        self.startS = startS
        self.endS = endS
        self.text = text
    }
}
