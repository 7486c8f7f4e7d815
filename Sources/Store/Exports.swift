// The store keeps and returns the records of the Records module (ShotSpan, TranscriptSegment,
// StageOutput…): importing Store brings them along.
@_exported import Records
