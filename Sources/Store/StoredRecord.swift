import Foundation
import GRDB
import Records

/// A stage record as the store keeps it: GRDB reads it from a row of its table (`init(row:)`) and
/// writes it with its video and stage (`encode(to:)`), in the caller's transaction.
protocol StoredRecord: StageRecord, FetchableRecord {
    /// `ORDER BY` of the table when read back (the order the stage produced).
    static var ordering: String { get }
    /// The key of this kind in `vidpipe export --format json`, and what is exported.
    static var export: ExportShape { get }
    /// Writes the record's own columns (the store adds `video_id`, `stage` and `frame_id`).
    func encode(to container: inout PersistenceContainer)
    /// The text the full-text index gets for this record, if any.
    var searchEntry: SearchEntry? { get }
    /// The time of the frame this record describes (OCR text, captions): resolves `frame_id`.
    var frameTime: Double? { get }
    /// False for a record the table cannot hold (an embedding without a vector): it is left out.
    var isStorable: Bool { get }
}

extension StoredRecord {
    var searchEntry: SearchEntry? { nil }
    var frameTime: Double? { nil }
    var isStorable: Bool { true }

    /// Inserts the record for (video, stage), with its row in the search index when it has text.
    func insert(_ db: Database, videoID: Int64, stage: String, frames: VidpipeStore.FrameIDLookup) throws {
        guard isStorable else { return }
        let frameID = try frameTime.flatMap { try frames.id(time: $0) }
        try OwnedRecord(videoID: videoID, stage: stage, frameID: frameID, record: self).insert(db)
        if let entry = searchEntry, !entry.text.isEmpty {
            try db.execute(
                sql: "INSERT INTO search (text, video_id, stage, kind, ref_id, start_s, end_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [entry.text, videoID, stage, entry.kind.rawValue, db.lastInsertedRowID, entry.start, entry.end])
        }
    }

    static func fetch(_ db: Database, videoID: Int64, stage: String) throws -> [any StageRecord] {
        try fetchAll(db, sql: "SELECT * FROM \(table) WHERE video_id = ? AND stage = ? ORDER BY \(ordering)",
                     arguments: [videoID, stage])
    }
}

/// One row of the `search` index: what is matched and where it sits in time.
struct SearchEntry {
    var kind: TextKind
    var text: String
    var start: Double
    var end: Double
}

/// How `vidpipe export --format json` shows a kind's rows.
enum ExportShape {
    /// Under `key`, one object per row with these columns (SQL select list).
    case columns(key: String, select: String)
    /// Under `key`, one parsed JSON document per row, from this column.
    case document(key: String, column: String)
    /// Under `key`, `{count, dim, model}` only (vectors are not exported).
    case vectorSummary(key: String)
}

/// A record with the columns every output table has: what `PersistableRecord` inserts.
struct OwnedRecord<R: StoredRecord>: PersistableRecord {
    static var databaseTableName: String { R.table }
    let videoID: Int64
    let stage: String
    let frameID: Int64?
    let record: R

    func encode(to container: inout PersistenceContainer) {
        container["video_id"] = videoID
        container["stage"] = stage
        if record.frameTime != nil { container["frame_id"] = frameID }
        record.encode(to: &container)
    }
}

/// Every kind of stage record the store keeps, in one list: the tables a stage result replaces,
/// the loaders and the JSON export all come from it.
enum StoredRecords {
    static let types: [any StoredRecord.Type] = [
        ShotSpan.self, SampledFrame.self, AudioSegment.self, TranscriptSegment.self, OCRText.self, SubtitleCue.self,
        FrameCaption.self, Embedding.self, FusedShot.self, ReasoningItem.self,
    ]

    static func type(of kind: DataKind) -> (any StoredRecord.Type)? {
        types.first { $0.kind == kind }
    }
}

// MARK: The records' columns

/// Nil for NaN and infinities (SQLite would store them as NULL or fail).
func finiteOrNil(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }

/// JSON text (sorted keys) for nested values kept in one TEXT column.
enum ColumnJSON {
    static func encode<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) -> T? {
        text.flatMap { try? JSONDecoder().decode(type, from: Data($0.utf8)) }
    }
}

extension ShotSpan: StoredRecord {
    static let ordering = "idx"
    static let export = ExportShape.columns(key: "shots", select: "idx, start_s, end_s")
    public init(row: Row) { self.init(index: row["idx"], start: row["start_s"], end: row["end_s"]) }
    func encode(to container: inout PersistenceContainer) {
        container["idx"] = index
        container["start_s"] = start
        container["end_s"] = end
    }
}

extension SampledFrame: StoredRecord {
    static let ordering = "t_s, id"
    static let export = ExportShape.columns(
        key: "frames", select: "id, t_s, shot_idx, phash, width, height, length(jpeg) AS jpeg_bytes")
    public init(row: Row) {
        let jpeg: Data? = row["jpeg"]
        let phash: Int64 = row["phash"]
        self.init(time: row["t_s"], shotIndex: row["shot_idx"], phash: UInt64(bitPattern: phash), width: row["width"],
                  height: row["height"], jpeg: jpeg.map { [UInt8]($0) } ?? [])
    }
    func encode(to container: inout PersistenceContainer) {
        container["t_s"] = time
        container["shot_idx"] = shotIndex
        container["phash"] = Int64(bitPattern: phash)  // the INTEGER with the same 64 bits
        container["width"] = width
        container["height"] = height
        container["jpeg"] = Data(jpeg)
    }
}

extension AudioSegment: StoredRecord {
    static let ordering = "start_s, id"
    static let export = ExportShape.columns(key: "audio_segments", select: "kind, start_s, end_s, loudness_db")
    public init(row: Row) {
        self.init(kind: AudioSegmentKind(rawValue: row["kind"]) ?? .silence, start: row["start_s"], end: row["end_s"],
                  loudnessDB: row["loudness_db"] ?? -120)
    }
    func encode(to container: inout PersistenceContainer) {
        container["kind"] = kind.rawValue
        container["start_s"] = start
        container["end_s"] = end
        container["loudness_db"] = finiteOrNil(loudnessDB)
    }
}

extension TranscriptSegment: StoredRecord {
    static let ordering = "start_s, id"
    static let export = ExportShape.columns(key: "transcript", select: "start_s, end_s, text, confidence, words, language")
    public init(row: Row) {
        self.init(start: row["start_s"], end: row["end_s"], text: row["text"], confidence: row["confidence"],
                  words: ColumnJSON.decode([WordTiming].self, row["words"]) ?? [], language: row["language"])
    }
    func encode(to container: inout PersistenceContainer) {
        container["start_s"] = start
        container["end_s"] = end
        container["text"] = text
        container["confidence"] = finiteOrNil(confidence)
        container["words"] = words.isEmpty ? nil : ColumnJSON.encode(words)
        container["language"] = language
    }
    var searchEntry: SearchEntry? { SearchEntry(kind: .transcript, text: text, start: start, end: end) }
}

extension OCRText: StoredRecord {
    static let ordering = "t_s, id"
    static let export = ExportShape.columns(key: "ocr_texts", select: "t_s, frame_id, text, confidence, boxes, reused_from_s")
    public init(row: Row) {
        self.init(time: row["t_s"], text: row["text"], confidence: row["confidence"] ?? 0,
                  boxes: ColumnJSON.decode([TextBox].self, row["boxes"]) ?? [], reusedFrom: row["reused_from_s"])
    }
    func encode(to container: inout PersistenceContainer) {
        container["t_s"] = time
        container["text"] = text
        container["confidence"] = finiteOrNil(confidence)
        container["boxes"] = boxes.isEmpty ? nil : ColumnJSON.encode(boxes)
        container["reused_from_s"] = reusedFrom
    }
    var searchEntry: SearchEntry? { SearchEntry(kind: .ocr, text: text, start: time, end: time) }
    var frameTime: Double? { time }
}

extension SubtitleCue: StoredRecord {
    /// The video's own cues first, then each translation by language code; cues by number.
    static let ordering = "coalesce(language, ''), idx"
    static let export = ExportShape.columns(key: "subtitle_cues", select: "idx, start_s, end_s, text, language")
    /// The lines are kept in one TEXT column, separated by "\n".
    public init(row: Row) {
        let text: String = row["text"]
        self.init(index: row["idx"], start: row["start_s"], end: row["end_s"], lines: text.components(separatedBy: "\n"),
                  language: row["language"])
    }
    func encode(to container: inout PersistenceContainer) {
        container["idx"] = index
        container["start_s"] = start
        container["end_s"] = end
        container["text"] = lines.joined(separator: "\n")
        container["language"] = language
    }
    /// Translated cues are indexed (kind `subtitle`); the video's own are not, as their transcript is.
    var searchEntry: SearchEntry? {
        guard language != nil else { return nil }
        return SearchEntry(kind: .subtitle, text: lines.joined(separator: " "), start: start, end: end)
    }
}

extension FrameCaption: StoredRecord {
    static let ordering = "start_s, id"
    static let export = ExportShape.columns(
        key: "captions", select: "start_s, end_s, frame_id, text, model, reused_from_s")
    public init(row: Row) {
        let start: Double = row["start_s"], end: Double = row["end_s"]
        self.init(time: start, text: row["text"], model: row["model"] ?? "", reusedFrom: row["reused_from_s"],
                  end: end != start ? end : nil)
    }
    func encode(to container: inout PersistenceContainer) {
        container["start_s"] = time
        container["end_s"] = end ?? time
        container["text"] = text
        container["model"] = model
        container["reused_from_s"] = reusedFrom
    }
    var searchEntry: SearchEntry? { SearchEntry(kind: .caption, text: text, start: time, end: end ?? time) }
    var frameTime: Double? { time }
}

extension Embedding: StoredRecord {
    static let ordering = "start_s, id"
    static let export = ExportShape.vectorSummary(key: "embeddings")
    public init(row: Row) {
        let blob: Data = row["vector"]
        self.init(refKind: TextKind(rawValue: row["ref_kind"]) ?? .transcript, start: row["start_s"] ?? 0,
                  end: row["end_s"] ?? 0, text: row["text"] ?? "", vector: VectorBlob.decode(blob), model: row["model"] ?? "")
    }
    func encode(to container: inout PersistenceContainer) {
        container["ref_kind"] = refKind.rawValue
        container["model"] = model
        container["dim"] = vector.count
        container["vector"] = VectorBlob.encode(vector)
        container["start_s"] = start
        container["end_s"] = end
        container["text"] = text
    }
    var isStorable: Bool { !vector.isEmpty }
}

extension FusedShot: StoredRecord {
    static let ordering = "idx"
    static let export = ExportShape.document(key: "timeline", column: "record")
    /// The whole record is the JSON in `record`; the other columns repeat its times for SQL.
    public init(row: Row) throws {
        let json: String = row["record"]
        self = try JSONDecoder().decode(FusedShot.self, from: Data(json.utf8))
    }
    func encode(to container: inout PersistenceContainer) {
        container["idx"] = index
        container["start_s"] = start
        container["end_s"] = end
        container["keyframe_s"] = keyframe
        container["record"] = ColumnJSON.encode(self) ?? "{}"
    }
}

extension ReasoningItem: StoredRecord {
    static let ordering = "idx, id"
    static let export = ExportShape.columns(key: "reasoning", select: "task, idx, start_s, end_s, text, json, model")
    public init(row: Row) {
        self.init(task: ReasoningTask(rawValue: row["task"]) ?? .custom, index: row["idx"], start: row["start_s"],
                  end: row["end_s"], text: row["text"] ?? "", json: row["json"], model: row["model"] ?? "")
    }
    func encode(to container: inout PersistenceContainer) {
        container["task"] = task.rawValue
        container["idx"] = index
        container["start_s"] = start
        container["end_s"] = end
        container["text"] = text
        container["json"] = json
        container["model"] = model
    }
    var searchEntry: SearchEntry? { SearchEntry(kind: .reasoning, text: text, start: start ?? 0, end: end ?? start ?? 0) }
}
