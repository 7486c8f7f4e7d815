import Foundation
import MediaIO

/// 64-bit DCT perceptual hash (pHash): luma, area-downsampled to 32×32, 2-D DCT-II, the 8×8
/// lowest frequencies, each bit set when its coefficient is above the median of the 63 AC
/// coefficients (row-major from [0][0], most significant bit first). Near-duplicate frames have
/// a small Hamming distance.
public enum PerceptualHash {
    static let sampleSide = 32
    static let hashSide = 8

    /// cos((2x + 1) u π / 64) for u in 0..<8, x in 0..<32, row-major by u. Only the low
    /// frequencies are ever needed, so the transform is 32×8 then 8×8 products.
    private static let cosineTable: [Double] = {
        var table = [Double](repeating: 0, count: hashSide * sampleSide)
        for u in 0..<hashSide {
            for x in 0..<sampleSide {
                table[u * sampleSide + x] = cos(Double(2 * x + 1) * Double(u) * Double.pi / Double(2 * sampleSide))
            }
        }
        return table
    }()

    /// The hash of a frame (rgb24 or gray8).
    public static func hash(_ frame: VideoFrame) -> UInt64 {
        let luma = downsampledLuma(frame)
        let coefficients = lowFrequencyDCT(luma)
        var ac = Array(coefficients.dropFirst())
        ac.sort()
        let median = ac[ac.count / 2]  // 63 values: the 32nd
        var bits: UInt64 = 0
        for c in coefficients {
            bits = (bits << 1) | (c > median ? 1 : 0)
        }
        return bits
    }

    public static func hammingDistance(_ a: UInt64, _ b: UInt64) -> Int {
        (a ^ b).nonzeroBitCount
    }

    /// Mean luma (BT.601 weights) of each of 32×32 boxes tiling the frame.
    static func downsampledLuma(_ frame: VideoFrame) -> [Double] {
        let side = sampleSide
        var out = [Double](repeating: 0, count: side * side)
        let w = frame.width, h = frame.height
        guard w > 0, h > 0 else { return out }
        let bpp = frame.layout.bytesPerPixel
        guard frame.pixels.count >= w * h * bpp else { return out }
        frame.pixels.withUnsafeBufferPointer { src in
            for by in 0..<side {
                let y0 = by * h / side
                let y1 = max(y0 + 1, (by + 1) * h / side)
                for bx in 0..<side {
                    let x0 = bx * w / side
                    let x1 = max(x0 + 1, (bx + 1) * w / side)
                    var sum = 0
                    for y in y0..<min(y1, h) {
                        var i = (y * w + x0) * bpp
                        for _ in x0..<min(x1, w) {
                            if bpp == 3 {
                                sum += 299 * Int(src[i]) + 587 * Int(src[i + 1]) + 114 * Int(src[i + 2])
                            } else {
                                sum += 1000 * Int(src[i])
                            }
                            i += bpp
                        }
                    }
                    let area = (min(y1, h) - y0) * (min(x1, w) - x0)
                    out[by * side + bx] = Double(sum) / Double(1000 * max(1, area))
                }
            }
        }
        return out
    }

    /// The 8×8 lowest-frequency coefficients of the (unnormalised) 2-D DCT-II of a 32×32 block.
    static func lowFrequencyDCT(_ block: [Double]) -> [Double] {
        let n = sampleSide, k = hashSide
        // Rows first: rowPass[y][u] = Σx block[y][x] cos(u, x).
        var rowPass = [Double](repeating: 0, count: n * k)
        var out = [Double](repeating: 0, count: k * k)
        cosineTable.withUnsafeBufferPointer { table in
            block.withUnsafeBufferPointer { b in
                for y in 0..<n {
                    for u in 0..<k {
                        var s = 0.0
                        for x in 0..<n { s += b[y * n + x] * table[u * n + x] }
                        rowPass[y * k + u] = s
                    }
                }
            }
            for v in 0..<k {
                for u in 0..<k {
                    var s = 0.0
                    for y in 0..<n { s += rowPass[y * k + u] * table[v * n + y] }
                    out[v * k + u] = s
                }
            }
        }
        return out
    }
}
