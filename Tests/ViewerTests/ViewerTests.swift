import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Records
import Store
import Testing
import TestSupport
@testable import Viewer

/// A small store with what the pages show, including hostile text in every place text can come from.
struct ViewerFixture {
    static let xssName = "\"><img src=x onerror=alert(1)>.mp4"
    static let xssText = "<script>window.pwned=1</script> \"><img src=x onerror=alert(2)>"

    let dir: TemporaryDirectory
    let store: VidpipeStore
    let clipID: Int64
    let hostileID: Int64
    let clipPath: String

    init() throws {
        dir = try TemporaryDirectory()
        clipPath = dir.path("videos/clip.mp4")
        try Fixture.hardCuts(at: clipPath, shots: 2, shotSeconds: 1.5, audio: true)
        let hostilePath = dir.path("videos/" + Self.xssName)
        try FileManager.default.copyItem(atPath: clipPath, toPath: hostilePath)
        let writable = try VidpipeStore(path: dir.path("store.sqlite"))
        let size = Int64((try FileManager.default.attributesOfItem(atPath: clipPath)[.size] as? NSNumber)?.intValue ?? 0)
        let clip = try writable.registerVideo(path: clipPath, fingerprint: "fp-clip", sizeBytes: size, mtimeNs: 1)
        try writable.recordProbe(videoID: clip.id, ProbeFields(
            durationS: 3, width: 320, height: 240, fps: 25, videoCodec: "h264", audioCodec: "aac", container: "mov,mp4,m4a,3gp,3g2,mj2",
            hasVideo: true, hasAudio: true, rotation: 0))
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Self.jpeg(in: dir))))
        try writable.replaceStageResult(videoID: clip.id, stage: "shots", fingerprint: "s", elapsedSeconds: 0,
                                        output: .shots([ShotSpan(index: 0, start: 0, end: 1.5), ShotSpan(index: 1, start: 1.5, end: 3)]))
        try writable.replaceStageResult(videoID: clip.id, stage: "keyframes", fingerprint: "k", elapsedSeconds: 0, output: .frames([
            SampledFrame(time: 0.7, shotIndex: 0, phash: 1, width: 64, height: 48, jpeg: jpeg),
            SampledFrame(time: 2.2, shotIndex: 1, phash: 2, width: 64, height: 48, jpeg: jpeg),
        ]))
        try writable.replaceStageResult(videoID: clip.id, stage: "speech", fingerprint: "t", elapsedSeconds: 0, output: .transcript([
            TranscriptSegment(start: 0.2, end: 1.4, text: "the quick brown fox", confidence: 0.9, language: "en"),
            TranscriptSegment(start: 1.6, end: 2.9, text: Self.xssText, confidence: 0.9, language: "en"),
        ]))
        try writable.replaceStageResult(videoID: clip.id, stage: "ocr", fingerprint: "o", elapsedSeconds: 0, output: .ocrText([
            OCRText(time: 0.7, text: "NORLAND PARK " + Self.xssText, confidence: 0.8, boxes: []),
        ]), frameStage: "keyframes")
        try writable.replaceStageResult(videoID: clip.id, stage: "summary", fingerprint: "r", elapsedSeconds: 0, output: .reasoning([
            ReasoningItem(task: .summary, index: 0, start: nil, end: nil, text: "A summary " + Self.xssText, json: nil, model: "m"),
        ]))
        try writable.replaceStageResult(videoID: clip.id, stage: "chapters", fingerprint: "c", elapsedSeconds: 0, output: .reasoning([
            ReasoningItem(task: .chapters, index: 0, start: 0, end: nil, text: "Opening", json: nil, model: "m"),
            ReasoningItem(task: .chapters, index: 1, start: 1.5, end: nil, text: "Bars", json: nil, model: "m"),
        ]))
        let hostile = try writable.registerVideo(path: hostilePath, fingerprint: "fp-hostile", sizeBytes: size, mtimeNs: 2)
        try writable.setVideoStatus(videoID: hostile.id, status: .failed, error: "not a readable media file: " + Self.xssText, warnings: [])
        writable.close()
        store = try VidpipeStore(path: dir.path("store.sqlite"), readOnly: true)
        clipID = clip.id
        hostileID = hostile.id
    }

    static func jpeg(in dir: TemporaryDirectory) throws -> String {
        let path = dir.path("still.jpg")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1"], output: path)
        return path
    }

    func app() -> Application<RouterResponder<BasicRequestContext>> {
        var logger = Logger(label: "test")
        logger.logLevel = .error
        return Application(router: ViewerServer(store: store, logger: logger).router())
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bytes: [UInt8] { Array(buffer: body) }
}

@Suite("vidpipe serve: pages, API and media")
struct ViewerTests {
    @Test func rangeHeaderParsing() {
        #expect(MediaFile.range(nil, size: 100) == .whole)
        #expect(MediaFile.range("bytes=0-9", size: 100) == .partial(0...9))
        #expect(MediaFile.range("bytes=90-", size: 100) == .partial(90...99))
        #expect(MediaFile.range("bytes=-10", size: 100) == .partial(90...99))
        #expect(MediaFile.range("bytes=-500", size: 100) == .partial(0...99))
        #expect(MediaFile.range("bytes=50-5000", size: 100) == .partial(50...99))
        #expect(MediaFile.range("bytes=100-", size: 100) == .unsatisfiable)
        #expect(MediaFile.range("bytes=-0", size: 100) == .unsatisfiable)
        #expect(MediaFile.range("bytes=0-1,5-6", size: 100) == .whole)
        #expect(MediaFile.range("bytes=9-3", size: 100) == .whole)
        #expect(MediaFile.range("items=0-3", size: 100) == .whole)
        #expect(MediaFile.range("bytes=a-b", size: 100) == .whole)
        #expect(MediaFile.range("bytes=0-0", size: 0) == .unsatisfiable)
    }

    @Test func escapingCoversTextAndAttributes() {
        #expect(HTML.escape(#"<a href="x" onclick='y'>&</a>"#) == "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
        #expect(HTML.escape("a\u{0}b") == "a\u{FFFD}b")
    }

    @Test func libraryListsVideosFailuresAndCountsWithHostileNamesEscaped() async throws {
        let fixture = try ViewerFixture()
        try await fixture.app().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            let html = page.text
            #expect(html.contains("<b>2</b> videos"))
            #expect(html.contains("<b>1</b> failed"))
            #expect(html.contains("href=\"/videos/\(fixture.clipID)\""))
            #expect(html.contains("not a readable media file: &lt;script&gt;"))
            #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;.mp4"))
            #expect(!html.contains("<img src=x"))
            #expect(!html.contains("<script>window"))
            let sorted = try await client.execute(uri: "/?sort=duration&page=1", method: .get)
            #expect(sorted.status == .ok)
            let json = try await client.execute(uri: "/api/videos", method: .get)
            let listing = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any]
            #expect(listing?["total"] as? Int == 2)
            #expect((listing?["entries"] as? [[String: Any]])?.count == 2)
        }
    }

    @Test func videoPageShowsPlayerTracksTranscriptShotsAndReasoning() async throws {
        let fixture = try ViewerFixture()
        try await fixture.app().test(.router) { client in
            let page = try await client.execute(uri: "/videos/\(fixture.clipID)?t=1.6", method: .get)
            #expect(page.status == .ok)
            let html = page.text
            #expect(html.contains("<video id=\"player\" controls preload=\"metadata\" src=\"/videos/\(fixture.clipID)/media\" data-start=\"1.600\">"))
            #expect(html.contains("<track kind=\"captions\""))
            #expect(html.contains("<track kind=\"chapters\""))
            #expect(html.contains("data-t=\"0.200\" data-end=\"1.400\""))
            #expect(html.contains("the quick brown fox"))
            #expect(html.components(separatedBy: "src=\"/frames/").count - 1 == 2)
            #expect(html.contains("NORLAND PARK"))
            #expect(html.contains("A summary &lt;script&gt;"))
            #expect(!html.contains("<script>window") && !html.contains("<img src=x"))
            let captions = try await client.execute(uri: "/videos/\(fixture.clipID)/captions.vtt", method: .get)
            #expect(captions.headers[.contentType] == "text/vtt; charset=utf-8")
            #expect(captions.text.hasPrefix("WEBVTT"))
            #expect(captions.text.contains("the quick brown fox"))
            let chapters = try await client.execute(uri: "/videos/\(fixture.clipID)/chapters.vtt", method: .get)
            #expect(chapters.text.contains("00:00:01.500 --> 00:00:03.000\nBars"))
            let none = try await client.execute(uri: "/videos/\(fixture.hostileID)/chapters.vtt", method: .get)
            #expect(none.status == .notFound)
        }
    }

    @Test func aCodecBrowsersDoNotPlayIsOfferedForDownload() throws {
        let fixture = try ViewerFixture()
        var data = try #require(try ViewerServer.pageData(fixture.store, id: fixture.clipID))
        #expect(MediaFile.unplayableReason(data.video) == nil)
        data.video.probe.videoCodec = "hevc"
        let hevc = Pages.video(data, start: nil, hasChapters: false)
        #expect(hevc.contains("browsers do not play HEVC video"))
        #expect(hevc.contains("href=\"/videos/\(fixture.clipID)/media?download=1\""))
        #expect(!hevc.contains("<video"))
        data.video.probe.videoCodec = "mpeg4"
        data.video.probe.container = "avi"
        #expect(MediaFile.unplayableReason(data.video) == "browsers do not play MPEG4 video")
        data.video.probe.videoCodec = "vp9"
        data.video.probe.container = "matroska,webm"
        #expect(MediaFile.unplayableReason(data.video) == nil)
    }

    @Test func mediaAnswersRangesWithTheRightStatusAndHeaders() async throws {
        let fixture = try ViewerFixture()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.clipPath)))
        try await fixture.app().test(.router) { client in
            let uri = "/videos/\(fixture.clipID)/media"
            let whole = try await client.execute(uri: uri, method: .get)
            #expect(whole.status == .ok)
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(whole.headers[.contentType] == "video/mp4")
            #expect(whole.bytes == bytes)
            let etag = try #require(whole.headers[.eTag])
            let part = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=100-199"])
            #expect(part.status == .partialContent)
            #expect(part.headers[.contentRange] == "bytes 100-199/\(bytes.count)")
            #expect(part.bytes == Array(bytes[100...199]))
            let tail = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=-16"])
            #expect(tail.bytes == Array(bytes.suffix(16)))
            let outside = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=\(bytes.count)-"])
            #expect(outside.status == .rangeNotSatisfiable)
            #expect(outside.headers[.contentRange] == "bytes */\(bytes.count)")
            let stale = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: "\"other\""])
            #expect(stale.status == .ok)
            let fresh = try await client.execute(uri: uri, method: .get, headers: [.range: "bytes=0-9", .ifRange: etag])
            #expect(fresh.status == .partialContent)
            let download = try await client.execute(uri: uri + "?download=1", method: .get, headers: [.range: "bytes=0-0"])
            #expect(download.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"clip.mp4\"") == true)
            let frame = try await client.execute(uri: "/frames/1.jpg", method: .get)
            #expect(frame.status == .ok && frame.headers[.contentType] == "image/jpeg")
            let cached = try await client.execute(uri: "/frames/1.jpg", method: .get, headers: [.ifNoneMatch: frame.headers[.eTag] ?? ""])
            #expect(cached.status == .notModified)
        }
    }

    @Test func badIdsAndTraversalAreRefused() async throws {
        let fixture = try ViewerFixture()
        try await fixture.app().test(.router) { client in
            for (uri, status) in [("/videos/abc", HTTPResponse.Status.badRequest), ("/videos/-1", .badRequest),
                                  ("/videos/999", .notFound), ("/videos/999/media", .notFound), ("/videos/1x/media", .badRequest),
                                  ("/frames/999.jpg", .notFound), ("/frames/..%2F..%2Fetc%2Fpasswd", .badRequest),
                                  ("/frames/1.png", .badRequest), ("/videos/../../etc/passwd", .notFound),
                                  ("/static/../store.sqlite", .notFound), ("/etc/passwd", .notFound)] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == status, "\(uri)")
                #expect(!response.text.contains("root:"), "\(uri)")
                #expect(response.headers[.contentSecurityPolicy] != nil, "\(uri)")
            }
            // A file the store lists that has gone: 404, not a crash.
            try FileManager.default.moveItem(atPath: fixture.clipPath, toPath: fixture.clipPath + ".moved")
            let gone = try await client.execute(uri: "/videos/\(fixture.clipID)/media", method: .get)
            #expect(gone.status == .notFound)
        }
    }

    @Test func searchGroupsHitsByVideoAndLinksToTheMoment() async throws {
        let fixture = try ViewerFixture()
        try await fixture.app().test(.router) { client in
            let page = try await client.execute(uri: "/search?q=norland", method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("href=\"/videos/\(fixture.clipID)?t=0.700\""))
            #expect(page.text.contains("<span class=\"kind\">on-screen text</span>"))
            #expect(page.text.contains("<mark>NORLAND</mark>"))
            let speech = try await client.execute(uri: "/search?q=pwned", method: .get)
            #expect(speech.text.contains("speech"))
            #expect(!speech.text.contains("<script>window"))
            let bad = try await client.execute(uri: "/search?q=%22unclosed", method: .get)
            #expect(bad.status == .badRequest)
            #expect(bad.text.contains("cannot search for"))
            let api = try await client.execute(uri: "/api/search?q=fox", method: .get)
            let hits = try JSONSerialization.jsonObject(with: Data(api.bytes)) as? [[String: Any]]
            #expect(hits?.first?["video_id"] as? Int == Int(fixture.clipID))
            #expect(hits?.first?["kind"] as? String == "transcript")
        }
    }
}
