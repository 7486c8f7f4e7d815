/// The kinds of data that flow along the edges of the stage graph. Two stages connect only when
/// the upstream's output kind is one the downstream accepts (like GStreamer caps).
public enum DataKind: String, Sendable, Codable, CaseIterable {
    /// The decoded video file itself (frames and audio); what a stage with no `from` reads.
    case media
    case frames
    case shots
    case audioSegments = "audio_segments"
    /// Timed speech-to-text segments.
    case transcript
    /// Text read from frames (OCR).
    case ocrText = "ocr_text"
    /// Caption cues (subtitles) built from a transcript.
    case subtitles
    /// What a vision-language model says about frames.
    case captions
    /// Vectors for semantic search.
    case embeddings
    /// One fused record per shot: captions, on-screen text and speech on the shared time axis.
    case timeline
    /// A language model's summaries, chapters, tags or answers.
    case reasoning
}

/// The outcome of one stage on one video, as `stage_results.status` stores it.
public enum StageStatus: String, Codable, Sendable, CaseIterable {
    case done, failed, skipped
}

/// What a piece of text (or vector) describes: the search index's `kind` and an embedding's `ref_kind`.
/// `subtitle` is a translated caption cue (`captions.translate`); the video's own cues are not
/// indexed, since the transcript they come from is.
public enum TextKind: String, Codable, Sendable, CaseIterable {
    case transcript, ocr, caption, timeline, reasoning, frame, subtitle
}

/// What a language model is asked to produce (`reason.llm`'s `task`, `reasoning_outputs.task`).
public enum ReasoningTask: String, Sendable, Codable, CaseIterable {
    case summary, chapters, tags, qa, custom
    /// One description per shot from its frames, speech and on-screen text (`reason.shot`, early fusion).
    case shot
}

/// A record that a stage produces and the store keeps: it knows its kind and its table.
public protocol StageRecord: Sendable, Equatable {
    static var kind: DataKind { get }
    /// The store's table for records of this kind (docs/schema.md).
    static var table: String { get }
}
