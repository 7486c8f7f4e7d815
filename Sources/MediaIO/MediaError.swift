internal import CFFmpeg
import Foundation

/// An FFmpeg failure on a file: the AVERROR code, FFmpeg's own message and what vidpipe was doing.
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The AVERROR code (negative), or 0 when the failure did not come from an FFmpeg call.
    public var code: Int32
    /// FFmpeg's text for `code` (av_strerror), or vidpipe's own when code is 0.
    public var message: String
    /// What vidpipe was doing: "open input", "find stream info", "decode video", ...
    public var operation: String
    /// The file, as given.
    public var path: String

    public init(code: Int32, operation: String, path: String, message: String? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message ?? MediaError.ffmpegMessage(code)
    }

    public var description: String {
        "\(operation) failed for \(path): \(message)" + (code != 0 ? " (AVERROR \(code))" : "")
    }

    static func ffmpegMessage(_ code: Int32) -> String {
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        return buffer.withUnsafeMutableBufferPointer { ptr -> String in
            _ = vp_err2str(code, ptr.baseAddress, 256)
            return String(cString: ptr.baseAddress!)
        }
    }
}
