import MediaIO

/// Receives the frames a stage asked for, in presentation order, on one serial queue; then
/// `finish()` once, after the last frame. Not thread-safe by contract: the scheduler never calls
/// it from two threads at once.
public protocol VideoFrameSink: AnyObject {
    func consume(_ frame: VideoFrame) throws
    func finish() throws -> StageOutput
}

/// Receives 16 kHz mono audio in time order, on one serial queue; then `finish()` once.
public protocol AudioChunkSink: AnyObject {
    func consume(_ chunk: AudioChunk) throws
    func finish() throws -> StageOutput
    /// A one-line note stored with the stage result, read after `finish` (e.g. what a filter removed).
    var note: String? { get }
}

extension AudioChunkSink {
    public var note: String? { nil }
}

/// How a stage does its work on one video.
public enum StageWork {
    /// Wants frames from the shared decode pass.
    case video(FrameRequest, any VideoFrameSink)
    /// Wants the audio track, resampled to 16 kHz mono.
    case audio(any AudioChunkSink)
    /// Needs no decoding: a function of its upstream outputs.
    case compute(@Sendable () throws -> StageOutput)
    /// Like `compute`, with a one-line note stored with the stage result (e.g. that a record was summarised
    /// in parts to fit a model's context).
    case computeWithNote(@Sendable () throws -> (output: StageOutput, note: String?))
    /// Nothing to do for this video (e.g. an audio stage on a file without audio). Not a failure.
    case skip(reason: String)
}

/// A file a stage writes beside its records (caption files, the chapters file). The scheduler
/// writes it only after the stage's records have committed, so a failed or killed write never
/// leaves a file the store does not know; when the file cannot be written, the stage is recorded
/// as failed with the reason.
public struct Sidecar: Sendable {
    /// What is written, for messages (e.g. "captions of talk.mp4 in /archive").
    public var description: String
    public var write: @Sendable () throws -> Void
    public init(_ description: String, write: @escaping @Sendable () throws -> Void) {
        self.description = description
        self.write = write
    }
}
