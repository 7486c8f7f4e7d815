import Foundation
import TestSupport

/// The PyPI parsers `srt` and `webvtt-py` (TestSupport's `IndependentSubtitleParser`), read from the CLI
/// tests as times and text.
enum IndependentParsers {
    struct Cue: Equatable {
        var startMs: Int
        var endMs: Int
        var text: String
    }

    static func read(_ path: String, as kind: String) throws -> [Cue] {
        try IndependentSubtitleParser.parse(path, kind: kind).map { Cue(startMs: $0.startMs, endMs: $0.endMs, text: $0.text) }
    }
}
