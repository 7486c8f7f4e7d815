internal import CFFmpeg

/// Shrinks an 8-bit 4:2:0 frame (yuv420p / yuvj420p) straight to packed RGB24 or GRAY8 by averaging
/// each output pixel's source box (an area filter, like OpenCV's INTER_AREA), then converting only the
/// small result from YUV to RGB. Used for analysis frames (shot detection at ~128 px wide), where the
/// reduction is ten-fold or more: swscale's filter still visits every source pixel with several taps
/// per pass, and converts colour through its general pipeline; this does one add per source sample.
///
/// Boxes are whole source pixels: output column x covers source columns [x*W/w, (x+1)*W/w), so for
/// non-integer ratios the boxes differ by one pixel in size and each is divided by its own area.
/// Not Sendable: reuses its buffers from frame to frame on one thread.
final class AreaDownscaler {
    /// True when this path can convert `format` from `width` x `height` to `outWidth` x `outHeight`:
    /// 8-bit 4:2:0 planar input, at least a two-fold reduction on both sides (below that an area filter
    /// is no better than bilinear) and boxes small enough for 16-bit column sums.
    static func supports(format: Int32, width: Int, height: Int, outWidth: Int, outHeight: Int) -> Bool {
        let pixelFormat = AVPixelFormat(rawValue: format)
        guard pixelFormat == AV_PIX_FMT_YUV420P || pixelFormat == AV_PIX_FMT_YUVJ420P else { return false }
        guard outWidth > 0, outHeight > 0, width >= 2 * outWidth, height >= 2 * outHeight else { return false }
        // A box holds at most ceil(H/h) rows; 255 * 257 is the largest sum that fits in UInt16.
        return (height + outHeight - 1) / outHeight <= 257
    }

    private var columnSums: [UInt16] = []
    private var luma: [UInt8] = []
    private var blue: [UInt8] = []
    private var red: [UInt8] = []

    /// Writes `outWidth * outHeight * layout.bytesPerPixel` bytes to `destination`, rows packed.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, outWidth: Int, outHeight: Int, layout: PixelLayout,
                 into destination: UnsafeMutablePointer<UInt8>) {
        let width = Int(frame.pointee.width), height = Int(frame.pointee.height)
        let fullRange = AVPixelFormat(rawValue: frame.pointee.format) == AV_PIX_FMT_YUVJ420P
            || frame.pointee.color_range == AVCOL_RANGE_JPEG
        let count = outWidth * outHeight
        if luma.count != count {
            luma = [UInt8](repeating: 0, count: count)
            blue = luma
            red = luma
        }
        let planes = (frame.pointee.data.0!, frame.pointee.data.1!, frame.pointee.data.2!)
        let strides = (Int(frame.pointee.linesize.0), Int(frame.pointee.linesize.1), Int(frame.pointee.linesize.2))
        let chromaWidth = (width + 1) / 2, chromaHeight = (height + 1) / 2
        luma.withUnsafeMutableBufferPointer {
            average(plane: planes.0, stride: strides.0, width: width, height: height,
                    outWidth: outWidth, outHeight: outHeight, into: $0.baseAddress!)
        }
        if layout == .gray8 {
            luma.withUnsafeBufferPointer { y in
                for i in 0..<count { destination[i] = fullRange ? y[i] : Self.expandLuma(y[i]) }
            }
            return
        }
        blue.withUnsafeMutableBufferPointer {
            average(plane: planes.1, stride: strides.1, width: chromaWidth, height: chromaHeight,
                    outWidth: outWidth, outHeight: outHeight, into: $0.baseAddress!)
        }
        red.withUnsafeMutableBufferPointer {
            average(plane: planes.2, stride: strides.2, width: chromaWidth, height: chromaHeight,
                    outWidth: outWidth, outHeight: outHeight, into: $0.baseAddress!)
        }
        let matrix = YUVMatrix(colorspace: frame.pointee.colorspace, fullRange: fullRange)
        luma.withUnsafeBufferPointer { y in
            blue.withUnsafeBufferPointer { cb in
                red.withUnsafeBufferPointer { cr in
                    for i in 0..<count {
                        matrix.rgb(y: y[i], cb: cb[i], cr: cr[i], into: destination + 3 * i)
                    }
                }
            }
        }
    }

    /// Limited-range luma (16...235) to full-range gray, as swscale's GRAY8 output does.
    private static func expandLuma(_ y: UInt8) -> UInt8 {
        let v = (Int(y) - 16) * 255 / 219
        return UInt8(clamping: v)
    }

    /// Where each output column's and row's box starts and ends in a plane of one size, and the
    /// fixed-point reciprocal of each box's area; computed once per plane and output size. Owns its
    /// buffers (plain pointers: the inner loops read them without bounds checks).
    private final class Bins {
        let columns: UnsafeMutableBufferPointer<Int32>        // outWidth + 1 boundaries
        let rows: UnsafeMutableBufferPointer<Int32>           // outHeight + 1 boundaries
        /// round(2^32 / area) of each output pixel's box, row after row: a multiply instead of a divide.
        let inverseAreas: UnsafeMutableBufferPointer<UInt64>

        init(width: Int, height: Int, outWidth: Int, outHeight: Int) {
            columns = .allocate(capacity: outWidth + 1)
            rows = .allocate(capacity: outHeight + 1)
            inverseAreas = .allocate(capacity: outWidth * outHeight)
            for i in 0...outWidth { columns[i] = Int32(i * width / outWidth) }
            for i in 0...outHeight { rows[i] = Int32(i * height / outHeight) }
            for oy in 0..<outHeight {
                for ox in 0..<outWidth {
                    let area = UInt64((rows[oy + 1] - rows[oy]) * (columns[ox + 1] - columns[ox]))
                    inverseAreas[oy * outWidth + ox] = ((1 << 32) + area / 2) / area
                }
            }
        }

        deinit {
            columns.deallocate()
            rows.deallocate()
            inverseAreas.deallocate()
        }
    }

    private struct BinsKey: Hashable {
        let width, height, outWidth, outHeight: Int
    }
    private var bins: [BinsKey: Bins] = [:]

    /// Box average of one plane into `outWidth` x `outHeight` bytes.
    private func average(plane: UnsafeMutablePointer<UInt8>, stride: Int, width: Int, height: Int,
                         outWidth: Int, outHeight: Int, into out: UnsafeMutablePointer<UInt8>) {
        let key = BinsKey(width: width, height: height, outWidth: outWidth, outHeight: outHeight)
        let planeBins: Bins
        if let cached = bins[key] {
            planeBins = cached
        } else {
            planeBins = Bins(width: width, height: height, outWidth: outWidth, outHeight: outHeight)
            bins[key] = planeBins
        }
        if columnSums.count < width { columnSums = [UInt16](repeating: 0, count: width) }
        let columns = planeBins.columns.baseAddress!, rows = planeBins.rows.baseAddress!
        columnSums.withUnsafeMutableBufferPointer { sumsBuffer in
            let sums = sumsBuffer.baseAddress!
            for oy in 0..<outHeight {
                let top = Int(rows[oy]), bottom = Int(rows[oy + 1])
                // The first row initialises the sums, the others add to them. One add per sample and
                // no dependence between columns: the compiler vectorises these loops.
                let first = plane + top * stride
                for x in 0..<width { sums[x] = UInt16(truncatingIfNeeded: first[x]) }
                for y in (top + 1)..<bottom {
                    let row = plane + y * stride
                    for x in 0..<width { sums[x] &+= UInt16(truncatingIfNeeded: row[x]) }
                }
                // Boxes tile the row: one pass over the column sums in a plain loop (a box is only a
                // few columns wide, too short for vector code to pay).
                let outRow = out + oy * outWidth
                let inverseRow = planeBins.inverseAreas.baseAddress! + oy * outWidth
                var x = Int(columns[0])
                for ox in 0..<outWidth {
                    let right = Int(columns[ox + 1])
                    var total: UInt32 = 0
                    while x < right {
                        total &+= UInt32(sums[x])
                        x &+= 1
                    }
                    outRow[ox] = UInt8(truncatingIfNeeded: (UInt64(total) &* inverseRow[ox] &+ (1 << 31)) >> 32)
                }
            }
        }
        smooth121(out, width: outWidth, height: outHeight)
    }

    private var smoothRow: [UInt16] = []
    private var smoothAbove: [UInt8] = []

    /// [1 2 1] / 4 across and down, edges repeated: widens each box's footprint to three boxes with a
    /// tent-like falloff, so fine texture moving under the grid does not alias into frame differences.
    private func smooth121(_ pixels: UnsafeMutablePointer<UInt8>, width: Int, height: Int) {
        guard width >= 2, height >= 2 else { return }
        if smoothRow.count != width {
            smoothRow = [UInt16](repeating: 0, count: width)
            smoothAbove = [UInt8](repeating: 0, count: width)
        }
        smoothRow.withUnsafeMutableBufferPointer { sums in
            for y in 0..<height {
                let row = pixels + y * width
                sums[0] = 3 * UInt16(row[0]) + UInt16(row[1])
                sums[width - 1] = 3 * UInt16(row[width - 1]) + UInt16(row[width - 2])
                for x in 1..<(width - 1) {
                    sums[x] = UInt16(row[x - 1]) &+ 2 &* UInt16(row[x]) &+ UInt16(row[x + 1])
                }
                for x in 0..<width { row[x] = UInt8(truncatingIfNeeded: (sums[x] &+ 2) >> 2) }
            }
        }
        smoothAbove.withUnsafeMutableBufferPointer { above in
            for x in 0..<width { above[x] = pixels[x] }
            for y in 0..<height {
                let row = pixels + y * width
                let below = pixels + min(y + 1, height - 1) * width
                for x in 0..<width {
                    let centre = row[x]
                    let sum = UInt16(above[x]) &+ 2 &* UInt16(centre) &+ UInt16(below[x])
                    row[x] = UInt8(truncatingIfNeeded: (sum &+ 2) >> 2)
                    above[x] = centre
                }
            }
        }
    }
}

/// YUV to RGB for one 8-bit pixel, in 16.16 fixed point: BT.709 for streams that say so, BT.601 otherwise
/// (swscale's default), limited or full range.
struct YUVMatrix {
    private let yScale: Int, yOffset: Int
    private let rv: Int, gu: Int, gv: Int, bu: Int

    init(colorspace: AVColorSpace, fullRange: Bool) {
        let (kr, kb): (Double, Double) = colorspace == AVCOL_SPC_BT709 ? (0.2126, 0.0722) : (0.299, 0.114)
        let kg = 1 - kr - kb
        // Chroma spans 224 codes in limited range, 255 in full range; luma 219 or 255.
        let chromaScale = fullRange ? 1.0 : 255.0 / 224.0
        let one = 65536.0
        yScale = Int(((fullRange ? 1.0 : 255.0 / 219.0) * one).rounded())
        yOffset = fullRange ? 0 : 16
        rv = Int((2 * (1 - kr) * chromaScale * one).rounded())
        bu = Int((2 * (1 - kb) * chromaScale * one).rounded())
        gu = Int((2 * (1 - kb) * kb / kg * chromaScale * one).rounded())
        gv = Int((2 * (1 - kr) * kr / kg * chromaScale * one).rounded())
    }

    @inline(__always)
    func rgb(y: UInt8, cb: UInt8, cr: UInt8, into out: UnsafeMutablePointer<UInt8>) {
        let l = (Int(y) - yOffset) * yScale + 32768
        let u = Int(cb) - 128, v = Int(cr) - 128
        out[0] = UInt8(clamping: (l + rv * v) >> 16)
        out[1] = UInt8(clamping: (l - gu * u - gv * v) >> 16)
        out[2] = UInt8(clamping: (l + bu * u) >> 16)
    }
}
