internal import CFFmpeg
import Dispatch
import Workers

/// Scales and delivers decoded frames on one `SerialWorker` behind the decoder, so the thread that
/// reads and decodes packets never waits for swscale or for the consumers: conversion of frame n
/// overlaps the decoding of frame n+1. Frames cross by reference (`av_frame_clone` shares the decoder's
/// buffers; nothing is copied), and at most `depth` of them are in flight, which bounds the memory held.
///
/// The first error a job throws is kept; later jobs are dropped (their frames still freed) and the
/// decoding thread sees `failed` and stops reading. `finish()` waits for the queue and rethrows that error.
final class ConversionQueue: Sendable {
    private let worker: SerialWorker
    private let failure = FirstError()

    init(depth: Int) {
        worker = SerialWorker(label: "vidpipe.frame-conversion", capacity: max(1, depth))
    }

    var failed: Bool { failure.error != nil }

    /// Takes a new reference to `frame` and runs `job` with it on the queue; blocks while `depth` frames
    /// are already waiting. The reference is released after the job.
    func submit(_ frame: UnsafeMutablePointer<AVFrame>,
                _ job: @escaping (UnsafeMutablePointer<AVFrame>) throws -> Void) throws {
        guard let reference = av_frame_clone(frame) else {
            throw MediaError(code: vp_averror_enomem(), operation: "hand off frame", path: "",
                             message: "out of memory")
        }
        // The job's captures (scalers, the consumer's closure) are not Sendable: they are touched only
        // on the worker's queue, one job after another, and the pass waits for the queue before it returns.
        let handOff = worker.confine(HandOff(frame: reference, job: job))
        worker.submit { [failure] in
            let work = handOff.value
            defer {
                var frame: UnsafeMutablePointer<AVFrame>? = work.frame
                av_frame_free(&frame)
            }
            failure.attempt { try work.job(work.frame) }
        }
    }

    /// Waits until every submitted job has run, then throws the first error one of them threw.
    func finish() throws {
        worker.finish {}
        try failure.check()
    }

    /// A frame reference and the job for it.
    private struct HandOff {
        let frame: UnsafeMutablePointer<AVFrame>
        let job: (UnsafeMutablePointer<AVFrame>) throws -> Void
    }
}
