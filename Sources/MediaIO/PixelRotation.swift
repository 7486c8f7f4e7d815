/// Rotates packed pixel buffers by quarter turns.
enum PixelRotation {
    /// Returns `source` (width x height, packed rows) turned `clockwise` degrees (90, 180 or 270). The result
    /// is height x width for quarter turns.
    static func rotate(_ source: [UInt8], width: Int, height: Int, bytesPerPixel bpp: Int, clockwise: Int) -> [UInt8] {
        let count = width * height * bpp
        let outWidth = clockwise == 180 ? width : height
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            source.withUnsafeBufferPointer { src in
                for y in 0..<height {
                    for x in 0..<width {
                        // Destination of source pixel (x, y).
                        let (dx, dy): (Int, Int)
                        switch clockwise {
                        case 90: (dx, dy) = (height - 1 - y, x)
                        case 180: (dx, dy) = (width - 1 - x, height - 1 - y)
                        default: (dx, dy) = (y, width - 1 - x)
                        }
                        let s = (y * width + x) * bpp
                        let d = (dy * outWidth + dx) * bpp
                        for c in 0..<bpp { out[d + c] = src[s + c] }
                    }
                }
            }
            initialized = count
        }
    }
}
