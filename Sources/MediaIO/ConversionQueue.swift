internal import CFFmpeg
import Dispatch
import Foundation

/// Scales and delivers decoded frames on one serial Dispatch queue behind the decoder, so the thread
/// that reads and decodes packets never waits for swscale or for the consumers: conversion of frame n
/// overlaps the decoding of frame n+1. Frames cross by reference (`av_frame_clone` shares the decoder's
/// buffers; nothing is copied), and at most `depth` of them are in flight, which bounds the memory held.
///
/// The first error a job throws is kept; later jobs are dropped (their frames still freed) and the
/// decoding thread sees `failed` and stops reading. `finish()` waits for the queue and rethrows that error.
final class ConversionQueue: @unchecked Sendable {  // `failure` is guarded by `lock`; the rest is immutable
    private let worker: SerialWorker
    private let lock = NSLock()
    private var failure: (any Error)?

    init(depth: Int) {
        worker = SerialWorker(label: "vidpipe.frame-conversion", capacity: max(1, depth))
    }

    var failed: Bool { lock.withLock { failure != nil } }

    /// Takes a new reference to `frame` and runs `job` with it on the queue; blocks while `depth` frames
    /// are already waiting. The reference is released after the job.
    func submit(_ frame: UnsafeMutablePointer<AVFrame>,
                _ job: @escaping (UnsafeMutablePointer<AVFrame>) throws -> Void) throws {
        guard let reference = av_frame_clone(frame) else {
            throw MediaError(code: vp_averror_enomem(), operation: "hand off frame", path: "",
                             message: "out of memory")
        }
        let work = HandOff(frame: reference, job: job)
        worker.submit { [self] in
            defer {
                var frame: UnsafeMutablePointer<AVFrame>? = work.frame
                av_frame_free(&frame)
            }
            guard !failed else { return }
            do {
                try work.job(work.frame)
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits until every submitted job has run, then throws the first error one of them threw.
    func finish() throws {
        worker.finish {}
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// A frame reference and the job for it. The job's captures (scalers, the consumer's closure) are
    /// touched only on the serial queue, one job after another, and the pass waits for the queue before
    /// it returns, so sending them there is safe although their types are not Sendable.
    private struct HandOff: @unchecked Sendable {
        let frame: UnsafeMutablePointer<AVFrame>
        let job: (UnsafeMutablePointer<AVFrame>) throws -> Void
    }
}
