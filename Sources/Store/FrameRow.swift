/// One row of `frames`: a sampled frame, its perceptual hash and a JPEG thumbnail.
public struct FrameRow: Sendable, Equatable {
    /// `frames.id`; nil for a row not yet written (the store assigns it on insert).
    public var id: Int64?
    public var tS: Double
    public var shotIdx: Int?
    /// 64-bit perceptual hash; stored as the INTEGER with the same bit pattern.
    public var phash: UInt64
    public var width: Int
    public var height: Int
    /// JPEG bytes; empty when loaded with `includeJPEG: false`.
    public var jpeg: [UInt8]

    public init(id: Int64? = nil, tS: Double, shotIdx: Int?, phash: UInt64, width: Int, height: Int, jpeg: [UInt8]) {
        self.id = id
        self.tS = tS
        self.shotIdx = shotIdx
        self.phash = phash
        self.width = width
        self.height = height
        self.jpeg = jpeg
    }
}
