import Foundation

/// HTML text building. Everything from the store (file names, OCR text, transcripts, model answers)
/// is untrusted: it goes into a page only through `escape` (text and attribute values alike).
enum HTML {
    /// Text safe inside an element or a double- or single-quoted attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters have no place in a page; NUL would end some parsers' strings.
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A query-string value (percent-encoded), for links built from store text.
    static func query(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// Seconds as `m:ss` (or `h:mm:ss`).
    static func clock(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "–" }
        let total = Int(seconds.rounded(.down))
        let h = total / 3600, m = (total / 60) % 60, s = total % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// Seconds for a `data-` attribute or a URL (`12.345`).
    static func seconds(_ value: Double) -> String {
        value.isFinite ? String(format: "%.3f", max(0, value)) : "0"
    }

    /// The whole page: the same head, style sheet and script everywhere; no inline script or style,
    /// so the Content-Security-Policy can forbid both.
    static func page(title: String, body: String, search: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · vidpipe</title>
        <link rel="stylesheet" href="/static/viewer.css">
        <script src="/static/viewer.js" defer></script>
        </head>
        <body>
        <header class="top">
        <a class="brand" href="/">vidpipe</a>
        <form class="search" action="/search" method="get" role="search">
        <input type="search" name="q" value="\(escape(search))" placeholder="Search speech, on-screen text, captions…" aria-label="Search">
        <button type="submit">Search</button>
        </form>
        </header>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    /// The policy every page is served with: only this server's own scripts, styles, images and
    /// media; no inline script, no plugins, no framing.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        + "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}
