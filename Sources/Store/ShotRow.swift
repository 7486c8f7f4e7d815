/// One row of `shots`: a shot's index within the video and its time span in seconds.
public struct ShotRow: Sendable, Equatable {
    public var idx: Int
    public var startS: Double
    public var endS: Double

    public init(idx: Int, startS: Double, endS: Double) {
        self.idx = idx
        self.startS = startS
        self.endS = endS
    }
}
