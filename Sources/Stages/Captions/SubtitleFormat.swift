import Foundation

/// Subtitle file formats vidpipe writes, and their rendering from caption cues.
///
/// Rendering is defensive about cues loaded from anywhere: cues are written in start-time order
/// and numbered 1…n in that order; line breaks and control characters inside a line become spaces; empty lines are
/// dropped and a cue with no text left is skipped; negative times are written as 0 and an end
/// before its start as the start.
public enum SubtitleFormat: String, Sendable, CaseIterable, Codable {
    /// SubRip: `1\n00:00:01,000 --> 00:00:03,500\nline\n\n`. Text is written as is, except that
    /// `-->` becomes `->` (a parser would take it for a timing line).
    case srt
    /// WebVTT: a `WEBVTT` header, then `1\n00:00:01.000 --> 00:00:03.500\nline\n\n`. `&`, `<` and
    /// `>` are escaped as `&amp;`, `&lt;`, `&gt;`, so text shows literally (and holds no `-->`).
    case vtt

    /// The file name extension, without the dot.
    public var fileExtension: String { rawValue }

    /// The whole file. `note` (WebVTT only; SRT has no comments) is written as a `NOTE` block after
    /// the header; its line breaks become spaces and `-->` becomes `->`.
    public func render(_ cues: [SubtitleCue], note: String? = nil) -> String {
        var out = ""
        if self == .vtt {
            out += "WEBVTT\n\n"
            if let note, !note.isEmpty {
                out += "NOTE " + Self.removeArrows(Self.singleLine(note)) + "\n\n"
            }
        }
        // By the time written (a NaN or negative start is written, and so sorted, as 0).
        let ordered = cues.enumerated().sorted {
            (Self.clampedTime($0.element.start), $0.offset) < (Self.clampedTime($1.element.start), $1.offset)
        }
        var number = 0
        for (_, cue) in ordered {
            let lines = cue.lines.map { Self.singleLine($0) }.filter { !$0.isEmpty }.map(escape)
            guard !lines.isEmpty else { continue }
            number += 1
            let start = Self.clampedTime(cue.start)
            let end = max(start, Self.clampedTime(cue.end))
            out += "\(number)\n"
            out += "\(Self.timestamp(start, format: self)) --> \(Self.timestamp(end, format: self))\n"
            out += lines.joined(separator: "\n") + "\n\n"
        }
        return out
    }

    /// `hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT), rounded to the millisecond. Hours take more
    /// than two digits past 99; negative and non-finite times are written as zero.
    public static func timestamp(_ seconds: Double, format: SubtitleFormat) -> String {
        let millis = Int((clampedTime(seconds) * 1000).rounded())
        let ms = millis % 1000
        let totalSeconds = millis / 1000
        let s = totalSeconds % 60
        let m = (totalSeconds / 60) % 60
        let h = totalSeconds / 3600
        let separator = format == .srt ? "," : "."
        return pad(h, 2) + ":" + pad(m, 2) + ":" + pad(s, 2) + separator + pad(ms, 3)
    }

    private func escape(_ line: String) -> String {
        switch self {
        case .srt:
            return Self.removeArrows(line)
        case .vtt:
            return line.replacingOccurrences(of: "&", with: "&amp;")
                .replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;")
        }
    }

    private static func clampedTime(_ seconds: Double) -> Double {
        seconds.isFinite ? max(0, seconds) : 0
    }

    /// Collapses every run of whitespace (line breaks included) into one space and trims the ends;
    /// control characters (NUL, ESC, DEL…), which no subtitle shows and some parsers refuse, count
    /// as spaces.
    private static func singleLine(_ text: String) -> String {
        let visible = text.unicodeScalars.contains { $0.properties.generalCategory == .control }
            ? String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
            : text
        return visible.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    private static func removeArrows(_ text: String) -> String {
        var text = text
        while text.contains("-->") { text = text.replacingOccurrences(of: "-->", with: "->") }
        return text
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
