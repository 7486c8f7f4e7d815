/// What a stage produces for one video: the records of its one output kind.
public enum StageOutput: Sendable, Equatable {
    case frames([SampledFrame])
    case shots([ShotSpan])
    case audioSegments([AudioSegment])
    case transcript([TranscriptSegment])
    case ocrText([OCRText])
    case subtitles([SubtitleCue])
    case captions([FrameCaption])
    case embeddings([Embedding])
    case timeline([FusedShot])
    case reasoning([ReasoningItem])

    /// The records, whatever their type (the store writes them one by one).
    public var records: [any StageRecord] {
        switch self {
        case .frames(let v): return v
        case .shots(let v): return v
        case .audioSegments(let v): return v
        case .transcript(let v): return v
        case .ocrText(let v): return v
        case .subtitles(let v): return v
        case .captions(let v): return v
        case .embeddings(let v): return v
        case .timeline(let v): return v
        case .reasoning(let v): return v
        }
    }

    /// Wraps records read back from the store; nil for a kind that has no records (`media`).
    public init?(kind: DataKind, records: [any StageRecord]) {
        switch kind {
        case .frames: self = .frames(records.compactMap { $0 as? SampledFrame })
        case .shots: self = .shots(records.compactMap { $0 as? ShotSpan })
        case .audioSegments: self = .audioSegments(records.compactMap { $0 as? AudioSegment })
        case .transcript: self = .transcript(records.compactMap { $0 as? TranscriptSegment })
        case .ocrText: self = .ocrText(records.compactMap { $0 as? OCRText })
        case .subtitles: self = .subtitles(records.compactMap { $0 as? SubtitleCue })
        case .captions: self = .captions(records.compactMap { $0 as? FrameCaption })
        case .embeddings: self = .embeddings(records.compactMap { $0 as? Embedding })
        case .timeline: self = .timeline(records.compactMap { $0 as? FusedShot })
        case .reasoning: self = .reasoning(records.compactMap { $0 as? ReasoningItem })
        case .media: return nil
        }
    }

    public var kind: DataKind {
        switch self {
        case .frames: return .frames
        case .shots: return .shots
        case .audioSegments: return .audioSegments
        case .transcript: return .transcript
        case .ocrText: return .ocrText
        case .subtitles: return .subtitles
        case .captions: return .captions
        case .embeddings: return .embeddings
        case .timeline: return .timeline
        case .reasoning: return .reasoning
        }
    }

    public var rowCount: Int { records.count }

    /// A one-line summary stored with the stage result (stage_results.note), e.g. OCR's reuse count.
    public var note: String? {
        switch self {
        case .ocrText(let texts):
            let reused = texts.filter { $0.reusedFrom != nil }.count
            return "\(texts.count - reused) frames read, \(reused) reused (perceptual hash match)"
        case .captions(let captions):
            let reused = captions.filter { $0.reusedFrom != nil }.count
            let models = Set(captions.map(\.model)).sorted().joined(separator: ", ")
            if captions.contains(where: { $0.end != nil }) {
                return "\(captions.count) shots captioned" + (models.isEmpty ? "" : "; model \(models)")
            }
            return "\(captions.count - reused) frames captioned, \(reused) reused (perceptual hash match)"
                + (models.isEmpty ? "" : "; model \(models)")
        case .reasoning(let items):
            let models = Set(items.map(\.model)).sorted().joined(separator: ", ")
            return models.isEmpty ? nil : "model \(models)"
        case .embeddings(let vectors):
            guard let first = vectors.first else { return nil }
            return "\(vectors.count) vectors of \(first.vector.count) dimensions; model \(first.model)"
        default:
            return nil
        }
    }
}
