/// One row of `audio_segments`: a speech or silence span and its loudness.
public struct AudioSegmentRow: Sendable, Equatable {
    /// `speech` or `silence` (the column has a CHECK constraint).
    public var kind: String
    public var startS: Double
    public var endS: Double
    /// Mean loudness in dBFS; nil when not measured or not finite (digital silence).
    public var loudnessDB: Double?

    public init(kind: String, startS: Double, endS: Double, loudnessDB: Double?) {
        self.kind = kind
        self.startS = startS
        self.endS = endS
        self.loudnessDB = loudnessDB
    }
}
