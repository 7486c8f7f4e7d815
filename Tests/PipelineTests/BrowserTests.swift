import Foundation
import Records
import Store
import Testing
import TestSupport

/// `vidpipe serve` in a real browser: Debian's headless Chromium driven over WebDriver
/// (scripts/install-browser.sh installs it; `make test` runs that). One store made by a real run
/// (on-screen text, Whisper speech, captions), plus a video whose name, transcript, on-screen text and
/// summary are script injections.
@Suite("vidpipe serve in Chromium", .serialized)
struct BrowserTests {
    static let injections = [
        "<script>window.pwned = 1</script>",
        "\"><img src=x onerror=\"window.pwned = 2\">",
        "<svg onload=\"window.pwned = 3\"></svg>",
        "javascript:window.pwned=4",
    ]

    /// A 10-second clip: a LibriVox sentence from Debian's pocketsphinx-testdata, and the word
    /// LIGHTHOUSE on screen from 4 s to 8 s.
    static func clip(_ path: String) throws {
        let speech = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
        try ffmpeg(["-f", "lavfi", "-i", "color=c=0x203040:s=640x360:r=25:d=10", "-i", speech,
                    "-filter_complex", "[0:v]drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:"
                        + "text=LIGHTHOUSE:fontsize=72:fontcolor=white:x=(w-tw)/2:y=(h-th)/2:enable='between(t,4,8)'[v];"
                        + "[1:a]apad,atrim=0:10[a]",
                    "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
                    "-movflags", "+faststart", "-t", "10"], output: path)
    }

    struct Site {
        let dir: TemporaryDirectory
        let server: ChildProcess
        let port: Int
        let clipID: Int64
        let hostileID: Int64
        func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }
    }

    static func makeSite() throws -> Site {
        let dir = try TemporaryDirectory()
        try clip(dir.path("videos/lighthouse.mp4"))
        try """
            version: 1
            name: browser
            stages:
              frames:    { use: frames.sample, with: { every: 1s } }
              shots:     { use: shots.detect }
              keyframes: { use: frames.keyframes, from: shots }
              ocr:       { use: text.ocr, from: frames }
              segments:  { use: speech.segments, with: { engine: silero } }
              speech:    { use: speech.transcribe, from: segments, with: { model: whisper-tiny.en } }
              captions:  { use: captions.export, from: speech, with: { formats: [vtt] } }
            """.write(toFile: dir.path("p.yml"), atomically: true, encoding: .utf8)
        let db = dir.path("store.sqlite")
        let run = try CLITests.vidpipe(["run", dir.path("p.yml"), dir.path("videos"), "--db", db])
        guard run.status == 0 else { throw CLITests.BinaryProblem(description: "the fixture run failed: \(run.stderr)") }
        // The hostile video: registered with its results through the store's own API.
        let hostilePath = dir.path("videos/" + injections[1] + ".mp4")
        try FileManager.default.copyItem(atPath: dir.path("videos/lighthouse.mp4"), toPath: hostilePath)
        let store = try VidpipeStore(path: db)
        let clipID = try #require(try store.findVideo(dir.path("videos/lighthouse.mp4"))).id
        let hostile = try store.registerVideo(path: hostilePath, fingerprint: "hostile", sizeBytes: 1, mtimeNs: 1)
        let payload = injections.joined(separator: " ") + " pwned"
        try store.replaceStageResult(videoID: hostile.id, stage: "speech", fingerprint: "x", elapsedSeconds: 0,
                                     output: .transcript([TranscriptSegment(start: 0, end: 2, text: payload, confidence: 1)]))
        try store.replaceStageResult(videoID: hostile.id, stage: "ocr", fingerprint: "x", elapsedSeconds: 0,
                                     output: .ocrText([OCRText(time: 1, text: payload, confidence: 1, boxes: [])]))
        try store.replaceStageResult(videoID: hostile.id, stage: "summary", fingerprint: "x", elapsedSeconds: 0, output: .reasoning([
            ReasoningItem(task: .summary, index: 0, start: nil, end: nil, text: payload, json: nil, model: "m"),
            ReasoningItem(task: .tags, index: 0, start: nil, end: nil, text: injections[2], json: nil, model: "m"),
        ]))
        try store.setVideoStatus(videoID: hostile.id, status: .failed, error: "not a readable media file: " + payload, warnings: [])
        store.close()

        try CLITests.requireCurrentBinary()
        let log = dir.path("serve.log")
        let server = try ChildProcess(executable: CLITests.binary, arguments: ["serve", "--db", db, "--port", "0"], outputPath: log)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:(\d+)/"#, options: .regularExpression),
               let port = Int(text[range].dropFirst("http://127.0.0.1:".count).dropLast()) {
                return Site(dir: dir, server: server, port: port, clipID: clipID, hostileID: hostile.id)
            }
            usleep(50_000)
        }
        server.stop()
        throw CLITests.BinaryProblem(description: "vidpipe serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    struct PlayerState: Decodable, Sendable {
        var readyState: Int
        var currentTime: Double
        var paused: Bool
        var captionCues: Int
        var activeCue: String?
    }

    static let playerState = """
        const v = document.getElementById('player');
        const t = v.textTracks[0];
        const active = t && t.activeCues && t.activeCues.length ? t.activeCues[0].text : null;
        return {readyState: v.readyState, currentTime: v.currentTime, paused: v.paused,
                captionCues: t && t.cues ? t.cues.length : 0, activeCue: active};
        """

    @Test func libraryOnScreenSearchPlaysAtTheMomentWithCaptionsAndClicksSeek() async throws {
        let site = try Self.makeSite()
        defer { site.server.stop() }
        let driver = try await WebDriver.start()
        defer { driver.quit() }
        let screenshots = ProcessInfo.processInfo.environment["VIDPIPE_SCREENSHOTS"]
        try await driver.perform { d in
            // The library: both videos, the failure with its reason, counts.
            try d.navigate(to: site.url("/"))
            #expect(try d.findElements(css: "table.library tbody tr").count == 2)
            #expect(try d.text(try d.findElement(css: ".counts")).contains("2 videos"))
            #expect(try d.text(try d.findElement(css: "table.library")).contains("not a readable media file"))
            if let screenshots { try d.screenshotPNG().write(to: URL(fileURLWithPath: screenshots + "/library.png")) }

            // A word seen on screen: the hit is on-screen text, at about 4 s.
            try d.navigate(to: site.url("/search?q=lighthouse"))
            let hits = try d.findElements(css: ".hit")
            #expect(!hits.isEmpty)
            #expect(try d.text(hits[0]).contains("on-screen text"))
            if let screenshots { try d.screenshotPNG().write(to: URL(fileURLWithPath: screenshots + "/search.png")) }
            let link = try d.findElement(css: ".hit a")
            let href = try #require(try d.attribute(link, "href"))
            let t = try #require(Double(href.components(separatedBy: "t=").last ?? ""))
            #expect(t >= 3 && t <= 8, "\(href)")
            try d.click(link)

            // The player opens at that moment and plays.
            let opened = try d.waitFor(timeout: 15, "the player at the search hit's time") { () -> PlayerState? in
                let s = try d.executeScript(Self.playerState, as: PlayerState.self)
                return s.readyState >= 1 && abs(s.currentTime - t) < 1 ? s : nil
            }
            #expect(abs(opened.currentTime - t) < 1)
            let playing = try d.waitFor(timeout: 10, "playback advancing") { () -> PlayerState? in
                let s = try d.executeScript(Self.playerState, as: PlayerState.self)
                return !s.paused && s.currentTime > opened.currentTime + 0.3 ? s : nil
            }
            #expect(playing.currentTime > t)

            // Caption cues are loaded; at a transcript line's time the active cue holds its words.
            let lines = try d.findElements(css: "ol.transcript li[data-t]")
            #expect(!lines.isEmpty)
            let line = lines[0]
            let lineStart = try #require(Double(try d.attribute(line, "data-t") ?? ""))
            let lineText = try d.text(line)
            try d.click(line)  // clicking a transcript line seeks there
            let sought = try d.waitFor(timeout: 10, "the seek to the clicked line") { () -> PlayerState? in
                let s = try d.executeScript(Self.playerState, as: PlayerState.self)
                return s.captionCues > 0 && s.currentTime >= lineStart && s.currentTime < lineStart + 1.5 && s.activeCue != nil ? s : nil
            }
            let cueWords = Set((sought.activeCue ?? "").lowercased().split(whereSeparator: { !$0.isLetter }))
            let lineWords = Set(lineText.lowercased().split(whereSeparator: { !$0.isLetter }))
            #expect(!cueWords.isEmpty && cueWords.isSubset(of: lineWords), "cue \(sought.activeCue ?? "-") vs line \(lineText)")
            try d.waitUntil(timeout: 5, "the current line highlighted") {
                (try d.attribute(line, "class") ?? "").contains("current")
            }
            if let screenshots {
                _ = try d.executeScript("document.getElementById('player').pause()")
                try d.screenshotPNG().write(to: URL(fileURLWithPath: screenshots + "/video.png"))
            }

            // Range and error answers, as the page's own origin sees them.
            let statuses = try d.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const get = (u, h) => fetch(u, {headers: h || {}}).then(r => r.status + (r.headers.get('content-range') ? ' ' + r.headers.get('content-range') : ''));
                Promise.all([get('/videos/\(site.clipID)/media', {Range: 'bytes=0-9'}), get('/videos/\(site.clipID)/media', {Range: 'bytes=999999999-'}),
                             get('/videos/999999'), get('/videos/abc'), get('/frames/..%2F..%2Fetc%2Fpasswd'), get('/videos/%2e%2e/%2e%2e/etc/passwd')])
                  .then(done, e => done(['error ' + e]));
                """, as: [String].self)
            #expect(statuses.count == 6)
            #expect(statuses.first?.hasPrefix("206 bytes 0-9/") == true, "\(statuses)")
            #expect(statuses.dropFirst().first?.hasPrefix("416 bytes */") == true, "\(statuses)")
            #expect(Array(statuses.dropFirst(2)).map { $0.prefix(3) } == ["404", "400", "400", "404"], "\(statuses)")
        }
    }

    @Test func injectedTextNeverRuns() async throws {
        let site = try Self.makeSite()
        defer { site.server.stop() }
        let driver = try await WebDriver.start()
        defer { driver.quit() }
        try await driver.perform { d in
            for path in ["/", "/videos/\(site.hostileID)", "/search?q=pwned", "/search?q=%3Cscript%3E"] {
                try d.navigate(to: site.url(path))
                // An alert or a script that ran would show here (an open alert fails the next command).
                let ran = try d.executeScript("return window.pwned === undefined ? null : String(window.pwned)")
                #expect(ran == nil, "\(path): an injection ran (\(String(describing: ran)))")
                let handlers = try d.executeScript(
                    "return document.querySelectorAll('[onerror],[onload],[onclick],script:not([src]),svg').length", as: Int.self)
                #expect(handlers == 0, "\(path)")
            }
            // The text is shown, literally.
            try d.navigate(to: site.url("/videos/\(site.hostileID)"))
            #expect(try d.text(try d.findElement(css: "h1")).contains("<img src=x onerror="))
            #expect(try d.pageSource.contains("&lt;script&gt;window.pwned = 1&lt;/script&gt;"))
        }
    }
}
