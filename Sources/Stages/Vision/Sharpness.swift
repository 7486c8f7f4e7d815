import MediaIO

/// Focus measure: the variance of the 4-neighbour Laplacian of luma. Higher is sharper; only
/// comparable between frames of the same size and content.
public enum Sharpness {
    public static func laplacianVariance(_ frame: VideoFrame) -> Double {
        let w = frame.width, h = frame.height
        let bpp = frame.layout.bytesPerPixel
        guard w >= 3, h >= 3, frame.pixels.count >= w * h * bpp else { return 0 }
        var luma = [Int32](repeating: 0, count: w * h)
        frame.pixels.withUnsafeBufferPointer { src in
            luma.withUnsafeMutableBufferPointer { l in
                if bpp == 1 {
                    for i in 0..<(w * h) { l[i] = Int32(src[i]) }
                } else {
                    for i in 0..<(w * h) {
                        // BT.601 luma in integer arithmetic (weights sum to 256).
                        l[i] = (77 * Int32(src[3 * i]) + 150 * Int32(src[3 * i + 1]) + 29 * Int32(src[3 * i + 2])) >> 8
                    }
                }
            }
        }
        var sum = 0.0, sumSquares = 0.0
        luma.withUnsafeBufferPointer { l in
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    let i = y * w + x
                    let response = Double(l[i - 1] + l[i + 1] + l[i - w] + l[i + w] - 4 * l[i])
                    sum += response
                    sumSquares += response * response
                }
            }
        }
        let count = Double((w - 2) * (h - 2))
        let mean = sum / count
        return max(0, sumSquares / count - mean * mean)
    }
}
