internal import CFFmpeg

/// Process-wide FFmpeg setup done once before the first call into the libraries.
enum FFmpegLibrary {
    /// Silences FFmpeg's own logging to stderr; vidpipe reports problems through MediaError and PassReport.
    private static let quiet: Void = vp_set_log_quiet()

    static func prepare() {
        _ = quiet
    }

    /// Throws a MediaError when `code` is negative.
    static func check(_ code: Int32, _ operation: String, path: String) throws {
        if code < 0 { throw MediaError(code: code, operation: operation, path: path) }
    }

    /// A rational as a Double, 0 when the denominator is 0.
    static func double(_ q: AVRational) -> Double {
        q.den == 0 ? 0 : Double(q.num) / Double(q.den)
    }
}
