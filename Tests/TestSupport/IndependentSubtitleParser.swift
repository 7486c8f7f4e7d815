import Foundation

/// Reads subtitle files with the PyPI parsers `srt` and `webvtt-py` (installed by scripts/setup.sh): the
/// independent check of every SRT and WebVTT file vidpipe writes.
public enum IndependentSubtitleParser {
    public struct Cue: Decodable, Equatable, Sendable {
        public var index: Int
        public var startMs: Int
        public var endMs: Int
        public var text: String
        public init(index: Int, startMs: Int, endMs: Int, text: String) {
            self.index = index
            self.startMs = startMs
            self.endMs = endMs
            self.text = text
        }
    }

    /// WebVTT text is passed through Python's `html.unescape`, since webvtt-py returns character
    /// references as written (and strips tags). Many files are read in one Python process; a file a
    /// parser refuses gives its error instead of cues.
    static let script = #"""
        import datetime, html, json, sys
        kind, paths = sys.argv[1], sys.argv[2:]
        result = []
        for path in paths:
            out = []
            try:
                if kind == "srt":
                    import srt
                    ms = datetime.timedelta(milliseconds=1)
                    with open(path, encoding="utf-8") as f:
                        for s in srt.parse(f.read()):
                            out.append({"index": s.index, "startMs": s.start // ms, "endMs": s.end // ms, "text": s.content})
                else:
                    import webvtt
                    def millis(t):
                        h, m, rest = t.split(":")
                        sec, milli = rest.split(".")
                        return ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1000 + int(milli)
                    for c in webvtt.read(path):
                        ident = c.identifier if c.identifier and c.identifier.isdigit() else "0"
                        out.append({"index": int(ident), "startMs": millis(c.start), "endMs": millis(c.end),
                                    "text": html.unescape(c.text)})
                result.append({"cues": out})
            except Exception as e:
                result.append({"error": type(e).__name__ + ": " + str(e)})
        print(json.dumps(result))
        """#

    public struct Parsed: Decodable, Sendable {
        public var cues: [Cue]?
        public var error: String?
    }

    /// Each file's cues (or the parser's error), in the order of `paths`; `kind` is `srt` or `vtt`.
    public static func parseMany(_ paths: [String], kind: String) throws -> [Parsed] {
        let json = try runCommand("python3", ["-c", script, kind] + paths)
        return try JSONDecoder().decode([Parsed].self, from: Data(json.utf8))
    }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// One file's cues; a file the parser refuses throws `Refused` with its error.
    public static func parse(_ path: String, kind: String) throws -> [Cue] {
        let parsed = try parseMany([path], kind: kind)
        guard let cues = parsed.first?.cues else { throw Refused(description: parsed.first?.error ?? "no answer") }
        return cues
    }
}
