import Foundation
import Stages
import Store

/// Converts between the stages' output values and the store's rows (the two modules do not know each other).
enum StageOutputMapping {
    /// `stage` is the configured stage producing `output` (its `from` tells which frames OCR text belongs to).
    static func rows(_ output: StageOutput, stage: ConfiguredStage) -> StageRows {
        switch output {
        case .shots(let shots):
            return .shots(shots.map { ShotRow(idx: $0.index, startS: $0.start, endS: $0.end) })
        case .frames(let frames):
            return .frames(frames.map {
                FrameRow(id: nil, tS: $0.time, shotIdx: $0.shotIndex, phash: $0.phash, width: $0.width, height: $0.height, jpeg: $0.jpeg)
            })
        case .audioSegments(let segments):
            return .audioSegments(segments.map {
                AudioSegmentRow(kind: $0.kind.rawValue, startS: $0.start, endS: $0.end, loudnessDB: $0.loudnessDB)
            })
        case .transcript(let segments):
            return .transcript(segments.map {
                TranscriptRow(startS: $0.start, endS: $0.end, text: $0.text, confidence: $0.confidence,
                              wordsJSON: $0.words.isEmpty ? nil : json($0.words), language: $0.language)
            })
        case .ocrText(let texts):
            return .ocrTexts(texts.map {
                OCRTextRow(frameStage: stage.from.first, tS: $0.time, text: $0.text, confidence: $0.confidence,
                           boxesJSON: $0.boxes.isEmpty ? nil : json($0.boxes), reusedFromS: $0.reusedFrom)
            })
        case .subtitles(let cues):
            return .subtitleCues(cues.map {
                SubtitleCueRow(idx: $0.index, startS: $0.start, endS: $0.end, text: $0.lines.joined(separator: "\n"))
            })
        case .captions(let captions):
            return .captions(captions.map {
                CaptionRow(frameStage: stage.from.first, startS: $0.time, endS: $0.time, text: $0.text, model: $0.model,
                           reusedFromS: $0.reusedFrom)
            })
        case .embeddings(let vectors):
            return .embeddings(vectors.map {
                EmbeddingRow(refKind: $0.refKind, startS: $0.start, endS: $0.end, text: $0.text, model: $0.model, vector: $0.vector)
            })
        case .timeline(let shots):
            return .timeline(shots.map {
                TimelineRow(idx: $0.index, startS: $0.start, endS: $0.end, keyframeS: $0.keyframe, recordJSON: json($0) ?? "{}")
            })
        case .reasoning(let items):
            return .reasoning(items.map {
                ReasoningRow(task: $0.task, idx: $0.index, startS: $0.start, endS: $0.end, text: $0.text, json: $0.json, model: $0.model)
            })
        }
    }

    /// Loads a finished stage's output back from the store, for a downstream stage that runs now.
    static func load(kind: DataKind, videoID: Int64, stage: String, store: VidpipeStore) throws -> StageOutput? {
        switch kind {
        case .shots:
            return .shots(try store.shots(videoID: videoID, stage: stage).map { ShotSpan(index: $0.idx, start: $0.startS, end: $0.endS) })
        case .frames:
            return .frames(try store.frames(videoID: videoID, stage: stage, includeJPEG: true).map {
                SampledFrame(time: $0.tS, shotIndex: $0.shotIdx, phash: $0.phash, width: $0.width, height: $0.height, jpeg: $0.jpeg)
            })
        case .audioSegments:
            return .audioSegments(try store.audioSegments(videoID: videoID, stage: stage).map {
                AudioSegment(kind: AudioSegmentKind(rawValue: $0.kind) ?? .silence, start: $0.startS, end: $0.endS,
                             loudnessDB: $0.loudnessDB ?? -120)
            })
        case .transcript:
            return .transcript(try store.transcript(videoID: videoID, stage: stage).map {
                TranscriptSegment(start: $0.startS, end: $0.endS, text: $0.text, confidence: $0.confidence,
                                  words: $0.wordsJSON.flatMap { decode([WordTiming].self, $0) } ?? [], language: $0.language)
            })
        case .ocrText:
            return .ocrText(try store.ocrTexts(videoID: videoID, stage: stage).map {
                OCRText(time: $0.tS, text: $0.text, confidence: $0.confidence ?? 0,
                        boxes: $0.boxesJSON.flatMap { decode([TextBox].self, $0) } ?? [], reusedFrom: $0.reusedFromS)
            })
        case .subtitles:
            return .subtitles(try store.subtitleCues(videoID: videoID, stage: stage).map {
                SubtitleCue(index: $0.idx, start: $0.startS, end: $0.endS, lines: $0.text.components(separatedBy: "\n"))
            })
        case .captions:
            return .captions(try store.captions(videoID: videoID, stage: stage).map {
                FrameCaption(time: $0.startS, text: $0.text, model: $0.model ?? "", reusedFrom: $0.reusedFromS)
            })
        case .embeddings:
            return .embeddings(try store.embeddings(videoID: videoID, stage: stage).map {
                Embedding(refKind: $0.refKind, start: $0.startS, end: $0.endS, text: $0.text, vector: $0.vector, model: $0.model ?? "")
            })
        case .timeline:
            return .timeline(try store.timeline(videoID: videoID, stage: stage).compactMap { decode(FusedShot.self, $0.recordJSON) })
        case .reasoning:
            return .reasoning(try store.reasoning(videoID: videoID, stage: stage).map {
                ReasoningItem(task: $0.task, index: $0.idx, start: $0.startS, end: $0.endS, text: $0.text, json: $0.json,
                              model: $0.model ?? "")
            })
        case .media:
            return nil
        }
    }

    private static func json<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
