import Stages
import Store

/// Converts between the stages' output values and the store's rows (the two modules do not know each other).
enum StageOutputMapping {
    static func rows(_ output: StageOutput) -> StageRows {
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
        case .transcript, .ocrText, .subtitles:
            return .empty  // TODO(issue 4): store rows for these kinds (store branch adds them)
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
                AudioSegment(kind: AudioSegmentKind(rawValue: $0.kind) ?? .silence, start: $0.startS, end: $0.endS, loudnessDB: $0.loudnessDB ?? -120)
            })
        case .media, .transcript, .ocrText, .subtitles:
            return nil  // TODO(issue 4)
        }
    }
}
