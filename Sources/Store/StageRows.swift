/// The output rows of one stage for one video, replaced as a whole by `VidpipeStore.replaceStageResult`.
public enum StageRows: Sendable, Equatable {
    case shots([ShotRow])
    case frames([FrameRow])
    case audioSegments([AudioSegmentRow])
    /// A stage that writes no rows (e.g. one that exports files); only `stage_results` is updated.
    case empty
}
