import Foundation

/// Frames with burned-in text (ffmpeg drawtext, DejaVu Sans) for the OCR tests: the text drawn is the
/// reference the OCR result is scored against.
public struct TextFrameFixture: Sendable {
    public struct Line: Sendable {
        public var text: String
        public var fontSize: Int
        public var x: Int
        public var y: Int
        public var color: String
        /// Draws a translucent black box behind the line (a lower-third caption).
        public var boxed: Bool
        public init(_ text: String, size: Int, x: Int, y: Int, color: String = "black", boxed: Bool = false) {
            self.text = text
            self.fontSize = size
            self.x = x
            self.y = y
            self.color = color
            self.boxed = boxed
        }
    }

    public static let fontFile = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    public var name: String
    /// A lavfi source without size or duration, e.g. "color=c=white" or "testsrc2".
    public var background: String
    public var width: Int
    public var height: Int
    /// Top to bottom: the order Tesseract reads them in.
    public var lines: [Line]

    public init(name: String, background: String, width: Int = 1280, height: Int = 720, lines: [Line]) {
        self.name = name
        self.background = background
        self.width = width
        self.height = height
        self.lines = lines
    }

    /// The drawn text, lines joined by spaces.
    public var reference: String { lines.map(\.text).joined(separator: " ") }

    /// The drawtext filter chain (phrases must not contain ':', ',', '\'' or '\\'). testsrc2's own
    /// timecode in the top-left corner is painted over so the drawn lines are the only text.
    public var filter: String {
        let cover = background.hasPrefix("testsrc2") ? ["drawbox=x=0:y=0:w=200:h=60:color=0x808080:t=fill"] : []
        return (cover + lines.map { line in
            var f = "drawtext=fontfile=\(TextFrameFixture.fontFile):text='\(line.text)':fontsize=\(line.fontSize)"
                + ":fontcolor=\(line.color):x=\(line.x):y=\(line.y)"
            if line.boxed { f += ":box=1:boxcolor=black@0.6:boxborderw=8" }
            return f
        }).joined(separator: ",")
    }

    /// The lavfi input for `seconds` of this frame at `fps`.
    public func lavfiInput(seconds: Double = 0.04, fps: Int = 25) -> [String] {
        let options = background.contains("=") ? ":" : "="
        return ["-f", "lavfi", "-i", "\(background)\(options)size=\(width)x\(height):rate=\(fps):duration=\(seconds)"]
    }

    /// Writes the frame as a PNG.
    public func writePNG(to path: String) throws {
        try ffmpeg(lavfiInput() + ["-vf", filter, "-frames:v", "1"], output: path)
    }

    /// The PNG at `path` as packed 8-bit gray pixels (converted by ffmpeg).
    public static func grayPixels(ofPNG path: String) throws -> [UInt8] {
        let raw = path + ".gray"
        try ffmpeg(["-i", path, "-f", "rawvideo", "-pix_fmt", "gray"], output: raw)
        defer { try? FileManager.default.removeItem(atPath: raw) }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: raw)))
    }
}
