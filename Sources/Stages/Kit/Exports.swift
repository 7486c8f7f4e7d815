// The records stages produce and read (ShotSpan, TranscriptSegment, StageOutput…) are the
// vocabulary of every stage's API: importing Stages brings them along.
@_exported import Records
