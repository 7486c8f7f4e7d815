import Foundation
import ModelAPI

/// Chapters (`reason.llm` task chapters) in the formats players and muxers read, for
/// `vidpipe export --format chapters|ffmetadata`.
public enum ChapterFormats {
    /// One chapter: its span and title.
    public struct Chapter: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var title: String
        public init(start: Double, end: Double, title: String) {
            self.start = start
            self.end = end
            self.title = title
        }
    }

    /// The chapters of stored items, in time order; a chapter without an end ends where the next
    /// starts (the last at `duration`), and never before it starts.
    public static func chapters(_ items: [ReasoningItem], duration: Double?) -> [Chapter] {
        let sorted = items.filter { $0.task == .chapters }.sorted { ($0.start ?? 0, $0.index) < ($1.start ?? 0, $1.index) }
        return sorted.enumerated().map { i, item in
            let start = max(0, item.start ?? 0)
            let next = i + 1 < sorted.count ? sorted[i + 1].start : nil
            let end = item.end ?? next ?? duration ?? start
            return Chapter(start: start, end: max(start, end), title: ChaptersFile.title(of: item))
        }
    }

    /// A WebVTT chapters track: one cue per chapter, its title.
    public static func webVTT(_ chapters: [Chapter]) -> String {
        SubtitleFormat.vtt.render(chapters.enumerated().map { i, c in
            SubtitleCue(index: i + 1, start: c.start, end: max(c.end, c.start + 0.001), lines: [c.title])
        })
    }

    /// FFmpeg's metadata file (`ffmpeg -i in.mp4 -i chapters.txt -map_metadata 1 -codec copy out.mp4`):
    /// `;FFMETADATA1`, then per chapter `[CHAPTER]`, `TIMEBASE=1/1000`, `START`, `END` (milliseconds)
    /// and `title=`, with `=`, `;`, `#`, `\` and line breaks escaped by a backslash.
    public static func ffmetadata(_ chapters: [Chapter]) -> String {
        var out = ";FFMETADATA1\n"
        for c in chapters {
            let start = Int((c.start * 1000).rounded())
            let end = max(start, Int((c.end * 1000).rounded()))
            out += "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=\(start)\nEND=\(end)\ntitle=\(escapeMetadata(c.title))\n"
        }
        return out
    }

    /// FFmetadata escaping: a backslash before `=`, `;`, `#`, `\` and a line break (CR LF and CR
    /// become a line break; other control characters a space).
    public static func escapeMetadata(_ value: String) -> String {
        var out = ""
        let text = value.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "=", ";", "#", "\\", "\n": out += "\\" + String(scalar)
            default:
                out += scalar.properties.generalCategory == .control ? " " : String(scalar)
            }
        }
        return out
    }
}
