import Foundation
import Records
import Store

/// Everything the video page shows, read from the store in one go.
struct VideoPageData: Sendable {
    var video: VideoRow
    var stages: [StageResultRow]
    var transcript: [TranscriptSegment]
    var shots: [ShotSpan]
    /// Keyframes (or sampled frames) to show as the shot strip.
    var stills: [FrameReference]
    var ocr: [OCRText]
    var captions: [FrameCaption]
    var reasoning: [ReasoningItem]
    var hasSubtitles: Bool
}

/// The three pages, as HTML text.
enum Pages {
    static let pageSize = 50

    // MARK: the library

    static func library(entries: [LibraryEntry], total: Int, counts: StatusReport.VideoCounts, page: Int, sort: LibrarySort) -> String {
        var body = "<h1>Library</h1>\n<div class=\"counts\">"
        body += "<span><b>\(total)</b> videos</span><span><b>\(counts.done)</b> done</span>"
        body += "<span><b>\(counts.failed)</b> failed</span><span><b>\(counts.pending)</b> pending</span></div>\n"
        let sorts = LibrarySort.allCases.map { s in
            s == sort ? "<b>\(s.rawValue)</b>" : "<a href=\"/?sort=\(s.rawValue)\">\(s.rawValue)</a>"
        }
        body += "<p class=\"muted\">Sort by: \(sorts.joined(separator: " · "))</p>\n"
        body += "<table class=\"library\">\n<thead><tr><th></th><th>Name</th><th>Duration</th><th>Status</th><th>Stages</th></tr></thead>\n<tbody>\n"
        for entry in entries {
            let v = entry.video
            let name = (v.path as NSString).lastPathComponent
            let folder = (v.path as NSString).deletingLastPathComponent
            let thumb = entry.thumbnailFrameID.map { "<img src=\"/frames/\($0).jpg\" alt=\"\" loading=\"lazy\">" }
                ?? "<div class=\"thumb-missing\"></div>"
            var status = "<span class=\"status-\(v.status.rawValue)\">\(v.status.rawValue)</span>"
            if let error = v.error, v.status == .failed {
                status += "<div class=\"error\">\(HTML.escape(error))</div>"
            }
            let stages = entry.stages.sorted { $0.key < $1.key }.map { name, state in
                "<span class=\"stage \(state.rawValue)\" title=\"\(HTML.escape(name)): \(state.rawValue)\">\(HTML.escape(name))</span>"
            }.joined()
            body += """
                <tr><td><a href="/videos/\(v.id)">\(thumb)</a></td>\
                <td><a href="/videos/\(v.id)">\(HTML.escape(name))</a><div class="muted">\(HTML.escape(folder))</div></td>\
                <td>\(HTML.clock(v.durationS))</td><td>\(status)</td><td>\(stages)</td></tr>

                """
        }
        body += "</tbody></table>\n"
        let pages = max(1, (total + pageSize - 1) / pageSize)
        body += "<nav class=\"pager\">"
        if page > 1 { body += "<a rel=\"prev\" href=\"/?sort=\(sort.rawValue)&amp;page=\(page - 1)\">← previous</a>" }
        body += "<span>page \(page) of \(pages)</span>"
        if page < pages { body += "<a rel=\"next\" href=\"/?sort=\(sort.rawValue)&amp;page=\(page + 1)\">next →</a>" }
        body += "</nav>\n"
        return HTML.page(title: "Library", body: body)
    }

    // MARK: a video

    static func video(_ data: VideoPageData, start: Double?, hasChapters: Bool) -> String {
        let v = data.video
        let name = (v.path as NSString).lastPathComponent
        var body = "<h1>\(HTML.escape(name))</h1>\n<p class=\"muted\">\(HTML.escape(v.path)) · \(HTML.clock(v.durationS))"
        if let w = v.width, let h = v.height { body += " · \(w)×\(h)" }
        if let codec = v.videoCodec { body += " · \(HTML.escape(codec))" }
        if let codec = v.audioCodec { body += " · \(HTML.escape(codec))" }
        body += "</p>\n"
        if v.status == .failed, let error = v.error { body += "<p class=\"error\">\(HTML.escape(error))</p>\n" }
        body += "<div class=\"player\"><div>\n"
        if let reason = MediaFile.unplayableReason(v) {
            body += "<div class=\"notice\" id=\"unplayable\">This file cannot play in the browser: \(HTML.escape(reason)). "
                + "<a href=\"/videos/\(v.id)/media?download=1\">Download it</a> to watch it in a player such as VLC or mpv.</div>\n"
        } else {
            let startAttribute = start.map { " data-start=\"\(HTML.seconds($0))\"" } ?? ""
            body += "<video id=\"player\" controls preload=\"metadata\" src=\"/videos/\(v.id)/media\"\(startAttribute)>\n"
            if !data.transcript.isEmpty || data.hasSubtitles {
                body += "<track kind=\"captions\" label=\"Captions\" srclang=\"\(HTML.escape(language(data)))\" src=\"/videos/\(v.id)/captions.vtt\" default>\n"
            }
            if hasChapters { body += "<track kind=\"chapters\" label=\"Chapters\" src=\"/videos/\(v.id)/chapters.vtt\">\n" }
            body += "</video>\n"
        }
        if !data.stills.isEmpty {
            body += "<h2>Shots</h2>\n<div class=\"shots\">"
            for still in data.stills {
                let shot = still.shotIndex.flatMap { i in data.shots.first { $0.index == i } }
                let t = shot?.start ?? still.time
                body += "<a href=\"?t=\(HTML.seconds(t))\" data-t=\"\(HTML.seconds(t))\"><img src=\"/frames/\(still.id).jpg\" alt=\"shot at \(HTML.clock(t))\" loading=\"lazy\">\(HTML.clock(t))</a>"
            }
            body += "</div>\n"
        }
        body += "</div><div>\n"
        body += "<h2>Transcript</h2>\n"
        if data.transcript.isEmpty {
            body += "<p class=\"muted\">No transcript.</p>\n"
        } else {
            body += "<ol class=\"transcript\">\n"
            for segment in data.transcript {
                body += "<li data-t=\"\(HTML.seconds(segment.start))\" data-end=\"\(HTML.seconds(segment.end))\">"
                    + "<span class=\"time\">\(HTML.clock(segment.start))</span>\(HTML.escape(segment.text))</li>\n"
            }
            body += "</ol>\n"
        }
        body += "</div></div>\n"
        body += reasoningSections(data.reasoning)
        if !data.ocr.isEmpty {
            body += "<section><h2>On-screen text</h2><ol class=\"transcript\">\n"
            for text in data.ocr where !text.text.isEmpty {
                body += "<li data-t=\"\(HTML.seconds(text.time))\" data-end=\"\(HTML.seconds(text.time))\"><span class=\"time\">\(HTML.clock(text.time))</span>\(HTML.escape(text.text))</li>\n"
            }
            body += "</ol></section>\n"
        }
        if !data.captions.isEmpty {
            body += "<section><h2>Frame captions</h2><ol class=\"transcript\">\n"
            for caption in data.captions {
                body += "<li data-t=\"\(HTML.seconds(caption.time))\" data-end=\"\(HTML.seconds(caption.time))\"><span class=\"time\">\(HTML.clock(caption.time))</span>\(HTML.escape(caption.text))</li>\n"
            }
            body += "</ol></section>\n"
        }
        body += "<section><h2>Stages</h2><p>"
        for stage in data.stages {
            let title = stage.error.map { ": " + $0 } ?? ""
            body += "<span class=\"stage \(stage.status.rawValue)\" title=\"\(HTML.escape(stage.stage + title))\">\(HTML.escape(stage.stage)) \(stage.status.rawValue)</span>"
        }
        body += "</p><p class=\"muted\"><a href=\"/api/videos/\(v.id)\">JSON</a></p></section>\n"
        return HTML.page(title: name, body: body)
    }

    static func language(_ data: VideoPageData) -> String {
        data.transcript.lazy.compactMap(\.language).first ?? "en"
    }

    private static func reasoningSections(_ items: [ReasoningItem]) -> String {
        var out = ""
        let summaries = items.filter { $0.task == .summary }
        if !summaries.isEmpty {
            out += "<section><h2>Summary</h2>" + summaries.map { "<p>\(HTML.escape($0.text))</p>" }.joined() + "</section>\n"
        }
        let chapters = items.filter { $0.task == .chapters }
        if !chapters.isEmpty {
            out += "<section><h2>Chapters</h2><ol>"
            for chapter in chapters {
                let t = chapter.start ?? 0
                out += "<li><a href=\"?t=\(HTML.seconds(t))\" data-t=\"\(HTML.seconds(t))\"><span class=\"time\">\(HTML.clock(t))</span></a>\(HTML.escape(chapter.text))</li>"
            }
            out += "</ol></section>\n"
        }
        let tags = items.filter { $0.task == .tags }
        if !tags.isEmpty {
            out += "<section><h2>Tags</h2><p class=\"tags\">" + tags.map { "<span>\(HTML.escape($0.text))</span>" }.joined() + "</p></section>\n"
        }
        let answers = items.filter { $0.task == .qa || $0.task == .custom }
        if !answers.isEmpty {
            out += "<section><h2>Answers</h2>"
            for answer in answers {
                var line = "<p>\(HTML.escape(answer.text))"
                if let t = answer.start { line += " <a href=\"?t=\(HTML.seconds(t))\" data-t=\"\(HTML.seconds(t))\">\(HTML.clock(t))</a>" }
                out += line + "</p>"
            }
            out += "</section>\n"
        }
        return out
    }

    // MARK: search

    /// FTS snippet marks: private-use characters no stored text holds, replaced by `<mark>` after escaping.
    static let marks = (open: "\u{E000}", close: "\u{E001}")

    struct SearchOptions {
        var query: String
        var semantic = false
        /// The embedding model the server searches by meaning with, if any.
        var model: String?
    }

    static func search(query: String, hits: [SearchHit], error: String?) -> String {
        search(SearchOptions(query: query), hits: hits, error: error)
    }

    static func search(_ options: SearchOptions, hits: [SearchHit], error: String?, note: String? = nil) -> String {
        let query = options.query
        var body = "<h1>Search</h1>\n"
        if let model = options.model, !query.isEmpty {
            body += options.semantic
                ? "<p class=\"muted\">By meaning (\(HTML.escape(model))). <a href=\"/search?q=\(HTML.query(query))\">Words and meaning</a></p>\n"
                : "<p class=\"muted\">Words, and meaning (\(HTML.escape(model))). <a href=\"/search?q=\(HTML.query(query))&amp;mode=semantic\">By meaning only</a></p>\n"
        }
        if let note { body += "<p class=\"error\">\(HTML.escape(note))</p>\n" }
        if let error {
            body += "<p class=\"error\">\(HTML.escape(error))</p>\n"
        } else if query.isEmpty {
            body += "<p class=\"muted\">Type words to find in speech, on-screen text, captions and summaries.</p>\n"
        } else if hits.isEmpty {
            body += "<p>No match for <b>\(HTML.escape(query))</b>.</p>\n"
        } else {
            var order: [Int64] = []
            var groups: [Int64: [SearchHit]] = [:]
            for hit in hits {
                if groups[hit.video_id] == nil { order.append(hit.video_id) }
                groups[hit.video_id, default: []].append(hit)
            }
            body += "<p class=\"muted\">\(hits.count) match\(hits.count == 1 ? "" : "es") in \(order.count) video\(order.count == 1 ? "" : "s")</p>\n<div class=\"hits\">\n"
            for id in order {
                let group = groups[id] ?? []
                let name = ((group.first?.path ?? "") as NSString).lastPathComponent
                body += "<section><h2><a href=\"/videos/\(id)\">\(HTML.escape(name))</a></h2>\n"
                for hit in group {
                    let snippet = HTML.escape(hit.snippet).replacingOccurrences(of: marks.open, with: "<mark>")
                        .replacingOccurrences(of: marks.close, with: "</mark>")
                    let link = "/videos/\(id)?t=\(HTML.seconds(hit.start_s))"
                    // A frame hit (found by frame vectors) shows its picture: it has no words to show.
                    let picture = hit.frame_id.map {
                        "<a href=\"\(link)\"><img class=\"hit-frame\" src=\"/frames/\($0).jpg\" alt=\"frame at \(HTML.clock(hit.start_s))\" loading=\"lazy\"></a>"
                    } ?? ""
                    body += "<div class=\"hit\"><a href=\"\(link)\"><span class=\"time\">\(HTML.clock(hit.start_s))</span></a>"
                        + "<span class=\"kind\">\(kindLabel(hit.kind))</span>\(picture)\(snippet)</div>\n"
                }
                body += "</section>\n"
            }
            body += "</div>\n"
        }
        return HTML.page(title: query.isEmpty ? "Search" : query, body: body, search: query)
    }

    static func kindLabel(_ kind: TextKind) -> String {
        switch kind {
        case .transcript: return "speech"
        case .ocr: return "on-screen text"
        case .caption: return "caption"
        case .reasoning: return "reasoning"
        case .timeline: return "timeline"
        case .frame: return "frame"
        case .subtitle: return "translated caption"
        }
    }

    static func error(status: Int, message: String) -> String {
        HTML.page(title: "\(status)", body: "<h1>\(status)</h1><p>\(HTML.escape(message))</p><p><a href=\"/\">Back to the library</a></p>")
    }
}
