import MediaIO

/// A frame split into hue, saturation and value planes (each scaled 0–255), plus an optional
/// binary edge plane of the value channel; what `ShotDetector` compares frame to frame.
///
/// Saturation is measured as chroma (max − min of R, G, B), i.e. HSV saturation times value:
/// plain HSV saturation and hue of near-black pixels are noise that jumps when a fade reaches
/// black, which would make every fade look like a cut. For the same reason hue differences only
/// count where both pixels have chroma of at least `minimumChromaForHue`.
struct HSVFrame {
    static let minimumChromaForHue: UInt8 = 16

    let width: Int
    let height: Int
    private(set) var hue: [UInt8]
    /// Chroma, max − min of R, G, B.
    private(set) var saturation: [UInt8]
    private(set) var value: [UInt8]
    /// 255 where the value channel has a strong gradient, else 0; empty unless asked for.
    private(set) var edges: [UInt8] = []

    /// Mean absolute differences per channel between two frames of the same size (0–255 scale).
    struct Difference {
        var hue: Double
        var saturation: Double
        var value: Double
        var edges: Double
    }

    init(_ frame: VideoFrame, withEdges: Bool) {
        width = frame.width
        height = frame.height
        let count = frame.width * frame.height
        var h = [UInt8](repeating: 0, count: count)
        var s = [UInt8](repeating: 0, count: count)
        var v = [UInt8](repeating: 0, count: count)
        frame.pixels.withUnsafeBufferPointer { src in
            h.withUnsafeMutableBufferPointer { hp in
                s.withUnsafeMutableBufferPointer { sp in
                    v.withUnsafeMutableBufferPointer { vp in
                        switch frame.layout {
                        case .gray8:
                            for i in 0..<min(count, src.count) { vp[i] = src[i] }
                        case .rgb24:
                            let n = min(count, src.count / 3)
                            for i in 0..<n {
                                let r = Int32(src[3 * i]), g = Int32(src[3 * i + 1]), b = Int32(src[3 * i + 2])
                                let maxC = max(r, max(g, b)), minC = min(r, min(g, b))
                                let delta = maxC - minC
                                vp[i] = UInt8(maxC)
                                guard delta > 0 else { continue }  // grey: hue and saturation 0
                                sp[i] = UInt8(delta)
                                // Hue in sixths of the circle, 0..<1536 (256 per sector), then to 0..<256.
                                var sector: Int32
                                if maxC == r {
                                    sector = (g - b) * 256 / delta            // -256...256
                                    if sector < 0 { sector += 1536 }
                                } else if maxC == g {
                                    sector = 512 + (b - r) * 256 / delta
                                } else {
                                    sector = 1024 + (r - g) * 256 / delta
                                }
                                hp[i] = UInt8(truncatingIfNeeded: (sector * 256 / 1536) & 0xFF)
                            }
                        }
                    }
                }
            }
        }
        hue = h
        saturation = s
        value = v
        if withEdges { edges = HSVFrame.edgeMap(value: v, width: width, height: height) }
    }

    /// Central-difference gradient of the value plane, thresholded to 0 / 255.
    private static func edgeMap(value: [UInt8], width: Int, height: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height)
        guard width >= 3, height >= 3 else { return out }
        value.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for y in 1..<(height - 1) {
                    let row = y * width
                    for x in 1..<(width - 1) {
                        let i = row + x
                        let gx = abs(Int(v[i + 1]) - Int(v[i - 1]))
                        let gy = abs(Int(v[i + width]) - Int(v[i - width]))
                        if gx + gy > 64 { o[i] = 255 }
                    }
                }
            }
        }
        return out
    }

    func sameSize(as other: HSVFrame) -> Bool { width == other.width && height == other.height }

    /// Channel-wise mean absolute difference; the frames must have the same size.
    func difference(to other: HSVFrame) -> Difference {
        let count = Double(max(1, width * height))
        let edgeSum = edges.isEmpty || other.edges.isEmpty ? 0 : HSVFrame.absoluteSum(edges, other.edges)
        return Difference(hue: Double(hueDifferenceSum(other)) / count,
                          saturation: Double(HSVFrame.absoluteSum(saturation, other.saturation)) / count,
                          value: Double(HSVFrame.absoluteSum(value, other.value)) / count,
                          edges: Double(edgeSum) / count)
    }

    /// Sum of hue differences over pixels whose hue is meaningful in both frames.
    private func hueDifferenceSum(_ other: HSVFrame) -> Int {
        let minimum = HSVFrame.minimumChromaForHue
        return hue.withUnsafeBufferPointer { h1 in
            other.hue.withUnsafeBufferPointer { h2 in
                saturation.withUnsafeBufferPointer { c1 in
                    other.saturation.withUnsafeBufferPointer { c2 in
                        var sum = 0
                        for i in 0..<min(h1.count, h2.count) where c1[i] >= minimum && c2[i] >= minimum {
                            sum &+= abs(Int(h1[i]) - Int(h2[i]))
                        }
                        return sum
                    }
                }
            }
        }
    }

    private static func absoluteSum(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                var sum = 0
                for i in 0..<min(pa.count, pb.count) {
                    sum &+= abs(Int(pa[i]) - Int(pb[i]))
                }
                return sum
            }
        }
    }
}
