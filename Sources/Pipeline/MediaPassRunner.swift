import Dispatch
import Foundation
import MediaIO
import Stages
import Workers

/// One decode of a video file serving a wave of stages: the video pass runs on the calling thread,
/// the audio pass on a serial Dispatch queue of its own, and every stage's sink on its own serial
/// worker with a bounded backlog, so memory is bounded by the queues and not by the video's length.
final class MediaPassRunner: Sendable {
    struct StageResult: Sendable {
        var output: Result<StageOutput, any Error>
        var elapsed: Double
        /// The sink's own note (audio sinks), stored with the result.
        var note: String? = nil
    }

    let path: String
    let progress: RunProgress
    let capacity: Int
    /// Damage the decoders stepped over.
    let warnings = Locked<[String]>([])

    init(path: String, progress: RunProgress, capacity: Int) {
        self.path = path
        self.progress = progress
        self.capacity = capacity
    }

    /// A sink confined to its worker's queue, with the first error it raised (after which it receives
    /// nothing more).
    private struct SinkSlot<Sink>: Sendable {
        let stage: String
        let worker: SerialWorker
        let sink: Confined<Sink>
        let failure = FirstError()
        init(stage: String, sink: Sink, capacity: Int) {
            self.stage = stage
            worker = SerialWorker(label: "vidpipe.stage.\(stage)", capacity: capacity)
            self.sink = worker.confine(sink)
        }

        /// Queues `consume` for the sink (blocking while the backlog is full).
        func submit(_ consume: @escaping @Sendable (Sink) throws -> Void) {
            worker.submit { [sink, failure] in failure.attempt { try consume(sink.value) } }
        }
    }

    func run(video: [(String, FrameRequest, any VideoFrameSink)], audio: [(String, any AudioChunkSink)]) -> [String: StageResult] {
        let started = Date()
        let results = Locked<[String: StageResult]>([:])
        let group = DispatchGroup()
        if !audio.isEmpty {
            let slots = audio.map { SinkSlot(stage: $0.0, sink: $0.1, capacity: capacity) }
            DispatchQueue(label: "vidpipe.audio-pass").async(group: group) { [self] in
                let outcome = runAudio(slots)
                results.withLock { $0.merge(outcome) { a, _ in a } }
            }
        }
        if !video.isEmpty {
            let slots = video.map { SinkSlot(stage: $0.0, sink: $0.2, capacity: capacity) }
            let outcome = runVideo(slots, requests: video.map(\.1), started: started)
            results.withLock { $0.merge(outcome) { a, _ in a } }
        }
        group.wait()
        return results.current
    }

    private func runVideo(_ slots: [SinkSlot<any VideoFrameSink>], requests: [FrameRequest], started: Date) -> [String: StageResult] {
        var passError: (any Error)?
        do {
            let pass = try VideoPass(path: path)
            var lastCounted = -1
            let report = try pass.run(requests) { index, frame in
                let slot = slots[index]
                if frame.index != lastCounted {  // a frame several stages want counts once
                    lastCounted = frame.index
                    progress.analysed(frames: 1)
                }
                slot.submit { try $0.consume(frame) }
            }
            if !report.warnings.isEmpty { warnings.withLock { $0 += report.warnings } }
        } catch {
            passError = error
        }
        return collect(slots, passError: passError, started: started) { try $0.finish() }
    }

    private func runAudio(_ slots: [SinkSlot<any AudioChunkSink>]) -> [String: StageResult] {
        let started = Date()
        var passError: (any Error)?
        do {
            let pass = try AudioPass(path: path)
            let report = try pass.run { chunk in
                for slot in slots {
                    slot.submit { try $0.consume(chunk) }
                }
            }
            if !report.warnings.isEmpty { warnings.withLock { $0 += report.warnings } }
        } catch {
            passError = error
        }
        var results = collect(slots, passError: passError, started: started) { try $0.finish() }
        for slot in slots { results[slot.stage]?.note = slot.worker.finish { slot.sink.value.note } }
        return results
    }

    /// Waits for each sink's backlog, then finishes it (or reports the pass's or the sink's error).
    private func collect<Sink>(_ slots: [SinkSlot<Sink>], passError: (any Error)?, started: Date,
                               finish: (Sink) throws -> StageOutput) -> [String: StageResult] {
        var out: [String: StageResult] = [:]
        for slot in slots {
            let output: Result<StageOutput, any Error> = slot.worker.finish {
                if let passError { return .failure(passError) }
                if let failure = slot.failure.error { return .failure(failure) }
                return Result { try finish(slot.sink.value) }
            }
            out[slot.stage] = StageResult(output: output, elapsed: Date().timeIntervalSince(started))
        }
        return out
    }
}
