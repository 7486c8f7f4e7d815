/// Doubles the size of an 8-bit gray image with bilinear interpolation: Tesseract reads small text
/// (x-height under ~10 px) markedly better at twice the size.
enum GrayUpscaler {
    /// Returns the packed (2 * width) x (2 * height) image.
    static func doubled(_ pixels: UnsafeBufferPointer<UInt8>, width: Int, height: Int, bytesPerRow: Int) -> [UInt8] {
        let outWidth = width * 2, outHeight = height * 2
        var out = [UInt8](repeating: 0, count: outWidth * outHeight)
        out.withUnsafeMutableBufferPointer { dst in
            for oy in 0..<outHeight {
                // Output pixel centres map to (o + 0.5) / 2 - 0.5 in the source: 0.25 steps between neighbours.
                let sy = max(0, Double(oy) * 0.5 - 0.25)
                let y0 = min(Int(sy), height - 1), y1 = min(y0 + 1, height - 1)
                let fy = sy - Double(y0)
                let row0 = y0 * bytesPerRow, row1 = y1 * bytesPerRow
                for ox in 0..<outWidth {
                    let sx = max(0, Double(ox) * 0.5 - 0.25)
                    let x0 = min(Int(sx), width - 1), x1 = min(x0 + 1, width - 1)
                    let fx = sx - Double(x0)
                    let top = Double(pixels[row0 + x0]) * (1 - fx) + Double(pixels[row0 + x1]) * fx
                    let bottom = Double(pixels[row1 + x0]) * (1 - fx) + Double(pixels[row1 + x1]) * fx
                    dst[oy * outWidth + ox] = UInt8(min(255, max(0, (top * (1 - fy) + bottom * fy).rounded())))
                }
            }
        }
        return out
    }
}
