import Foundation
import TestSupport

/// The PyPI parsers `srt` and `webvtt-py` (installed by scripts/setup.sh), read from the CLI tests.
enum IndependentParsers {
    struct Cue: Decodable, Equatable {
        var startMs: Int
        var endMs: Int
        var text: String
    }

    static let script = #"""
        import datetime, html, json, sys
        kind, path = sys.argv[1], sys.argv[2]
        out = []
        if kind == "srt":
            import srt
            ms = datetime.timedelta(milliseconds=1)
            with open(path, encoding="utf-8") as f:
                for s in srt.parse(f.read()):
                    out.append({"startMs": s.start // ms, "endMs": s.end // ms, "text": s.content})
        else:
            import webvtt
            def millis(t):
                h, m, rest = t.split(":")
                sec, milli = rest.split(".")
                return ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1000 + int(milli)
            for c in webvtt.read(path):
                out.append({"startMs": millis(c.start), "endMs": millis(c.end), "text": html.unescape(c.text)})
        print(json.dumps(out))
        """#

    static func read(_ path: String, as kind: String) throws -> [Cue] {
        try JSONDecoder().decode([Cue].self, from: Data(try runCommand("python3", ["-c", script, kind, path]).utf8))
    }
}
