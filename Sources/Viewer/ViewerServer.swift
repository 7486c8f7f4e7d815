import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Records
import Stages
import Store

/// `vidpipe serve`: a read-only web viewer over one store. Pages are rendered on the server (no
/// build step, no CDN), media is served by video id from the path the store recorded, with byte
/// ranges. Every store read and file stat is a blocking call: it runs on a Dispatch queue, never
/// on Swift concurrency's cooperative pool; file bodies are streamed by Hummingbird's file I/O
/// (SwiftNIO's thread pool).
public final class ViewerServer: Sendable {
    let store: VidpipeStore
    let logger: Logger
    let vectors: VectorSearch?
    private let queue = DispatchQueue(label: "vidpipe.serve.store", attributes: .concurrent)
    private let fileIO = FileIO()

    /// Search by meaning (`vidpipe serve --pipeline`): the query embedded by the model that made the
    /// store's text vectors, and by the text tower of the model that made its frame vectors. The closure
    /// blocks (model server calls): it runs on the server's Dispatch queue.
    public struct VectorSearch: Sendable {
        /// The models searched, for display.
        public var model: String
        /// Vector hits for `query` fused with `fullText` (nil: by meaning alone), best first, and notes on what
        /// was skipped. Throws (a one-line message) when no vector ranking could run.
        public var rank: @Sendable (_ query: String, _ fullText: [SearchHit]?, _ limit: Int) throws -> (hits: [SearchHit], note: String?)

        public init(model: String, rank: @escaping @Sendable (String, [SearchHit]?, Int) throws -> (hits: [SearchHit], note: String?)) {
            self.model = model
            self.rank = rank
        }
    }

    /// `store` opened read-only (the server has no endpoint that writes).
    public init(store: VidpipeStore, logger: Logger, vectors: VectorSearch? = nil) {
        self.store = store
        self.logger = logger
        self.vectors = vectors
    }

    /// What a search answers: hits, and a note when the vector half could not run.
    struct SearchAnswer: Sendable {
        var hits: [SearchHit]
        var note: String?
    }

    /// Full-text (FTS5) hits, merged with vector hits when the server has a model for them; by
    /// meaning alone with `semantic`. A query FTS5 refuses throws `StoreError.invalidSearchQuery`.
    func search(_ query: String, semantic: Bool, limit: Int, marks: (open: String, close: String)) async throws -> SearchAnswer {
        let vectors = self.vectors
        return try await read { store in
            if semantic {
                guard let vectors else { throw StoreError.invalidSearchQuery(query: query, reason: "search by meaning needs `vidpipe serve --pipeline FILE` with an embed.text or embed.frames stage") }
                let ranked = try vectors.rank(query, nil, limit)
                return SearchAnswer(hits: ranked.hits, note: ranked.note)
            }
            let fullText = try store.search(query, limit: limit, marks: marks)
            guard let vectors else { return SearchAnswer(hits: fullText, note: nil) }
            do {
                let ranked = try vectors.rank(query, fullText, limit)
                return SearchAnswer(hits: ranked.hits, note: ranked.note)
            } catch {
                return SearchAnswer(hits: fullText, note: "full-text results only: \(error)")
            }
        }
    }

    /// Serves until the task is cancelled (then stops gracefully: open requests finish). `onRunning`
    /// gets the bound port (useful with port 0).
    public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "vidpipe"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }

    /// Runs `body` with the store on the server's Dispatch queue.
    func read<T: Sendable>(_ body: @escaping @Sendable (VidpipeStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [store] in continuation.resume(with: Result { try body(store) }) }
        }
    }

    // MARK: routes

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLog(logger: logger))
        router.get("/") { request, _ in try await self.library(request) }
        router.get("/videos/:id") { request, context in try await self.videoPage(request, context) }
        router.get("/videos/:id/media") { request, context in try await self.media(request, context) }
        router.get("/videos/:id/captions.vtt") { _, context in try await self.captions(context) }
        router.get("/videos/:id/chapters.vtt") { _, context in try await self.chapters(context) }
        router.get("/frames/:file") { request, context in try await self.frame(request, context) }
        router.get("/search") { request, _ in try await self.searchPage(request) }
        router.get("/api/videos") { request, _ in try await self.apiVideos(request) }
        router.get("/api/videos/:id") { _, context in try await self.apiVideo(context) }
        router.get("/api/search") { request, _ in try await self.apiSearch(request) }
        router.get("/static/viewer.css") { request, _ in Self.asset(Self.css, request: request) }
        router.get("/static/viewer.js") { request, _ in Self.asset(Self.js, request: request) }
        return router
    }

    /// The numeric video id in the path: 400 when it is not a number.
    static func videoID(_ context: BasicRequestContext) throws -> Int64 {
        let raw = context.parameters.get("id") ?? ""
        guard let id = Int64(raw), id > 0 else {
            throw HTTPError(.badRequest, message: "a video id is a positive number (got '\(raw.prefix(40))')")
        }
        return id
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// A file served from memory, with its entity tag made once (not hashed per request).
    struct Asset: Sendable {
        let text: String
        let type: String
        let tag: String
        init(_ text: String, type: String) {
            self.text = text
            self.type = type
            tag = "\"a-\(String(UInt64(bitPattern: Int64(text.hashValue)), radix: 16))\""
        }
    }

    static let css = Asset(StaticAssets.css, type: "text/css; charset=utf-8")
    static let js = Asset(StaticAssets.js, type: "text/javascript; charset=utf-8")

    static func asset(_ asset: Asset, request: Request) -> Response {
        if request.headers[.ifNoneMatch] == asset.tag { return Response(status: .notModified, headers: [.eTag: asset.tag]) }
        return Response(status: .ok, headers: [.contentType: asset.type, .eTag: asset.tag, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: asset.text)))
    }

    // MARK: pages

    func library(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let sort = query.get("sort").flatMap { LibrarySort(rawValue: String($0)) } ?? .name
        let page = max(1, query.get("page").flatMap { Int(String($0)) } ?? 1)
        let (entries, total, counts) = try await read { store in
            let (entries, total) = try store.library(sort: sort, offset: (page - 1) * Pages.pageSize, limit: Pages.pageSize)
            return (entries, total, try store.videoCounts())
        }
        return Self.html(Pages.library(entries: entries, total: total, counts: counts, page: page, sort: sort))
    }

    func videoPage(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try Self.videoID(context)
        let start = request.uri.queryParameters.get("t").flatMap { Double(String($0)) }.flatMap { $0.isFinite ? $0 : nil }
        guard let data = try await read({ store in try Self.pageData(store, id: id) }) else {
            throw HTTPError(.notFound, message: "no video with id \(id) in this store")
        }
        let hasChapters = data.reasoning.contains { $0.task == .chapters }
        return Self.html(Pages.video(data, start: start, hasChapters: hasChapters))
    }

    /// The video page's data: the most recent done stage of each kind.
    static func pageData(_ store: VidpipeStore, id: Int64) throws -> VideoPageData? {
        guard let video = try store.video(id: id) else { return nil }
        func latest<R: StageRecord>(_ type: R.Type) throws -> [R] {
            guard let stage = try store.stages(storing: R.kind, videoID: id).first else { return [] }
            return try store.records(type, videoID: id, stage: stage)
        }
        var reasoning: [ReasoningItem] = []
        for stage in try store.stages(storing: .reasoning, videoID: id) {
            reasoning += try store.records(ReasoningItem.self, videoID: id, stage: stage)
        }
        // Stills: the frames stage whose frames carry shot indexes (keyframes), else the first one.
        var stills: [FrameReference] = []
        for stage in try store.stages(storing: .frames, videoID: id).sorted() {
            let frames = try store.frameReferences(videoID: id, stage: stage)
            if frames.contains(where: { $0.shotIndex != nil }) {
                stills = frames
                break
            }
            if stills.isEmpty { stills = frames }
        }
        if stills.count > 200 { stills = stride(from: 0, to: stills.count, by: stills.count / 100 + 1).map { stills[$0] } }
        return VideoPageData(
            video: video, stages: try store.stageResults(videoID: id), transcript: try latest(TranscriptSegment.self),
            shots: try latest(ShotSpan.self), stills: stills, ocr: try latest(OCRText.self), captions: try latest(FrameCaption.self),
            reasoning: reasoning, hasSubtitles: !(try store.stages(storing: .subtitles, videoID: id).isEmpty))
    }

    func searchPage(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters.get("q").map { String($0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let semantic = request.uri.queryParameters.get("mode") == "semantic"
        let options = Pages.SearchOptions(query: query, semantic: semantic, model: vectors?.model)
        guard !query.isEmpty else { return Self.html(Pages.search(options, hits: [], error: nil)) }
        do {
            let answer = try await search(query, semantic: semantic, limit: 200, marks: Pages.marks)
            return Self.html(Pages.search(options, hits: answer.hits, error: nil, note: answer.note))
        } catch let error as StoreError {
            return Self.html(Pages.search(options, hits: [], error: error.description), status: .badRequest)
        } catch {
            return Self.html(Pages.search(options, hits: [], error: "\(error)"), status: .badGateway)
        }
    }

    // MARK: tracks

    func captions(_ context: BasicRequestContext) async throws -> Response {
        let id = try Self.videoID(context)
        let cues: [SubtitleCue]? = try await read { store in
            guard try store.video(id: id) != nil else { return nil }
            // The video's own cues (a captions.translate stage also stores cues, in other languages).
            for stage in try store.stages(storing: .subtitles, videoID: id) {
                let cues = try store.records(SubtitleCue.self, videoID: id, stage: stage).filter { $0.language == nil }
                if !cues.isEmpty { return cues }
            }
            // No captions stage ran: cues made from the transcript, with the captions stage's rules.
            guard let stage = try store.stages(storing: .transcript, videoID: id).first else { return [] }
            return CaptionCueBuilder().cues(from: try store.records(TranscriptSegment.self, videoID: id, stage: stage))
        }
        guard let cues else { throw HTTPError(.notFound, message: "no video with id \(id) in this store") }
        return Response(status: .ok, headers: [.contentType: "text/vtt; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: SubtitleFormat.vtt.render(cues))))
    }

    func chapters(_ context: BasicRequestContext) async throws -> Response {
        let id = try Self.videoID(context)
        let cues: [SubtitleCue]? = try await read { store in
            guard let video = try store.video(id: id) else { return nil }
            var items: [ReasoningItem] = []
            for stage in try store.stages(storing: .reasoning, videoID: id) {
                items += try store.records(ReasoningItem.self, videoID: id, stage: stage).filter { $0.task == .chapters }
                if !items.isEmpty { break }
            }
            let starts = items.map { $0.start ?? 0 }
            return items.enumerated().map { i, item in
                let end = item.end ?? (i + 1 < starts.count ? starts[i + 1] : (video.durationS ?? starts[i] + 1))
                return SubtitleCue(index: i + 1, start: starts[i], end: max(end, starts[i]), lines: [item.text])
            }
        }
        guard let cues else { throw HTTPError(.notFound, message: "no video with id \(id) in this store") }
        guard !cues.isEmpty else { throw HTTPError(.notFound, message: "video \(id) has no chapters") }
        return Response(status: .ok, headers: [.contentType: "text/vtt; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: SubtitleFormat.vtt.render(cues))))
    }

    // MARK: media

    func frame(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let file = context.parameters.get("file") ?? ""
        guard file.hasSuffix(".jpg"), let id = Int64(file.dropLast(4)), id > 0 else {
            throw HTTPError(.badRequest, message: "a frame is named by its number, e.g. /frames/12.jpg")
        }
        let tag = "\"f\(id)\""
        // A frame id is never reused for other content (ids only grow), so its image never changes.
        if request.headers[.ifNoneMatch] == tag { return Response(status: .notModified, headers: [.eTag: tag]) }
        guard let frame = try await read({ store in try store.frameJPEG(id: id) }) else {
            throw HTTPError(.notFound, message: "no frame \(id) in this store")
        }
        return Response(status: .ok, headers: [.contentType: "image/jpeg", .eTag: tag, .cacheControl: "public, max-age=86400"],
                        body: .init(byteBuffer: ByteBuffer(bytes: frame.jpeg)))
    }

    /// The video's file, from the path the store recorded (never a path from the URL), with byte ranges.
    func media(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let id = try Self.videoID(context)
        guard let video = try await read({ store in try store.video(id: id) }) else {
            throw HTTPError(.notFound, message: "no video with id \(id) in this store")
        }
        let path = video.path
        let attributes: (size: Int64, mtimeNs: Int64)? = try await read { _ in
            guard let a = try? FileManager.default.attributesOfItem(atPath: path),
                  (a[.type] as? FileAttributeType) == .typeRegular else { return nil }
            let size = (a[.size] as? NSNumber)?.int64Value ?? 0
            let mtime = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return (size, Int64(mtime * 1_000_000_000))
        }
        guard let attributes else {
            throw HTTPError(.notFound, message: "the file of video \(id) is no longer at the path the store recorded")
        }
        let size = attributes.size
        let etag = MediaFile.etag(size: size, mtimeNs: attributes.mtimeNs)
        var headers: HTTPFields = [
            .contentType: MediaFile.contentType(path: path, container: video.container, hasVideo: video.hasVideo),
            .acceptRanges: "bytes", .eTag: etag, .cacheControl: "no-cache",
        ]
        if request.uri.queryParameters.get("download") != nil {
            let name = (path as NSString).lastPathComponent
            let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
            headers[.contentDisposition] = "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(HTML.query(name))"
        }
        var answer = MediaFile.range(request.headers[.range], size: size)
        if let ifRange = request.headers[.ifRange], ifRange != etag { answer = .whole }
        switch answer {
        case .unsatisfiable:
            headers[.contentRange] = "bytes */\(size)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case .whole:
            headers[.contentLength] = String(size)
            let body = size == 0 ? ResponseBody() : try await fileIO.loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: path, range: Int(range.lowerBound)...Int(range.upperBound), context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }

    // MARK: JSON

    struct VideoListing: Codable, Sendable {
        struct Entry: Codable, Sendable {
            var id: Int64
            var path: String
            var status: String
            var error: String?
            var duration_s: Double?
            var stages: [String: String]
            var thumbnail: String?
        }
        var total: Int
        var page: Int
        var page_size: Int
        var sort: String
        var videos: StatusReport.VideoCounts
        var entries: [Entry]
    }

    func apiVideos(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let sort = query.get("sort").flatMap { LibrarySort(rawValue: String($0)) } ?? .name
        let page = max(1, query.get("page").flatMap { Int(String($0)) } ?? 1)
        let listing = try await read { store in
            let (entries, total) = try store.library(sort: sort, offset: (page - 1) * Pages.pageSize, limit: Pages.pageSize)
            return VideoListing(
                total: total, page: page, page_size: Pages.pageSize, sort: sort.rawValue, videos: try store.videoCounts(),
                entries: entries.map { e in
                    VideoListing.Entry(id: e.video.id, path: e.video.path, status: e.video.status.rawValue, error: e.video.error,
                                       duration_s: e.video.durationS, stages: e.stages.mapValues(\.rawValue),
                                       thumbnail: e.thumbnailFrameID.map { "/frames/\($0).jpg" })
                })
        }
        return try Self.json(listing)
    }

    func apiVideo(_ context: BasicRequestContext) async throws -> Response {
        let id = try Self.videoID(context)
        let data: Data? = try await read { store in
            guard try store.video(id: id) != nil else { return nil }
            return try store.exportJSON(videoID: id)
        }
        guard let data else { throw HTTPError(.notFound, message: "no video with id \(id) in this store") }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    func apiSearch(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters.get("q").map { String($0) } ?? ""
        let limit = min(500, max(1, request.uri.queryParameters.get("limit").flatMap { Int(String($0)) } ?? 20))
        let semantic = request.uri.queryParameters.get("mode") == "semantic"
        do {
            return try Self.json(try await search(query, semantic: semantic, limit: limit, marks: ("[", "]")).hits)
        } catch let error as StoreError {
            return try Self.json(["error": error.description], status: .badRequest)
        } catch {
            return try Self.json(["error": "\(error)"], status: .badGateway)
        }
    }
}

/// One log line per request (method, path, status, milliseconds), error pages as HTML, and the
/// security headers on every answer.
struct RequestLog: RouterMiddleware {
    typealias Context = BasicRequestContext
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now()
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = ViewerServer.html(Pages.error(status: error.status.code, message: error.body ?? error.status.reasonPhrase),
                                         status: error.status)
        } catch {
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = ViewerServer.html(Pages.error(status: 500, message: "the store could not be read (the server's log says why)"),
                                         status: .internalServerError)
        }
        response.headers[.contentSecurityPolicy] = HTML.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        let path = String(request.uri.path.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        logger.info("\(request.method) \(path) \(response.status.code) \(String(format: "%.1f", ms)) ms")
        return response
    }
}
