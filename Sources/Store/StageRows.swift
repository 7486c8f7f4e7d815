/// The output rows of one stage for one video, replaced as a whole by `VidpipeStore.replaceStageResult`.
public enum StageRows: Sendable, Equatable {
    case shots([ShotRow])
    case frames([FrameRow])
    case audioSegments([AudioSegmentRow])
    /// Transcript segments; each is also indexed for full-text search (kind `transcript`).
    case transcript([TranscriptRow])
    /// Text read from frames; non-empty text is indexed for search (kind `ocr`).
    case ocrTexts([OCRTextRow])
    /// Caption cues built from a transcript (rendered by `vidpipe export --format srt|vtt`).
    case subtitleCues([SubtitleCueRow])
    /// Frame captions from a vision-language model; indexed for search (kind `caption`).
    case captions([CaptionRow])
    /// Vectors for semantic search.
    case embeddings([EmbeddingRow])
    /// The fused per-shot records.
    case timeline([TimelineRow])
    /// Summaries, chapters, tags, answers; indexed for search (kind `reasoning`).
    case reasoning([ReasoningRow])
    /// A stage that writes no rows (e.g. one that exports files); only `stage_results` is updated.
    case empty
}
