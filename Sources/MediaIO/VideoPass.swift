internal import CFFmpeg
import Foundation

/// One decode of a file's video stream that serves several frame requests at once, seeking instead of
/// decoding everything when every request is sparse. Owns its input and decoder (freed in deinit).
/// Not Sendable: a pass is created and run on one Dispatch thread.
public final class VideoPass {
    public let info: MediaInfo
    private let input: InputFile
    private let decoder: StreamDecoder
    /// True once a run has moved the read position; the next run starts again from the beginning.
    private var hasRun = false
    /// Half the nominal frame duration: a target t is served by the first frame at or after t - halfFrame.
    private let halfFrame: Double

    /// Opens the input, its best video stream and that stream's decoder. Throws MediaError, also
    /// when the file has no video stream (code 0, "no video stream").
    public init(path: String) throws {
        (input, info, decoder) = try StreamDecoder.openBest(AVMEDIA_TYPE_VIDEO, named: "video", path: path, threaded: true)
        halfFrame = info.fps > 0 ? 0.5 / info.fps : 0
    }

    /// One decode of the video stream serving every request. `deliver(requestIndex, frame)` is called on
    /// one serial conversion thread behind the decoder (never concurrently), in presentation order per
    /// request, and every call has returned when `run` returns. `shouldStop` is polled between packets
    /// (cancellation). An error thrown by `deliver` stops the pass and is rethrown.
    public func run(_ requests: [FrameRequest], shouldStop: () -> Bool = { false },
                    deliver: (Int, VideoFrame) throws -> Void) throws -> PassReport {
        guard !requests.isEmpty else { return PassReport() }
        return try withoutActuallyEscaping(deliver) { deliver in
            let conversion = ConversionQueue(depth: 4)
            let report: PassReport
            do {
                report = try decode(requests, shouldStop: { shouldStop() || conversion.failed },
                                    conversion: conversion, deliver: deliver)
            } catch {
                try? conversion.finish()
                throw error
            }
            try conversion.finish()
            return report
        }
    }

    /// The decoding loop of `run`: reads and decodes packets on the calling thread, decides which frames
    /// each request takes, and hands those frames to `conversion`, which scales them and calls `deliver`.
    private func decode(_ requests: [FrameRequest], shouldStop: () -> Bool, conversion: ConversionQueue,
                        deliver: @escaping (Int, VideoFrame) throws -> Void) throws -> PassReport {
        var report = PassReport()
        let decoder = self.decoder
        if hasRun { _ = decoder.seek(to: 0) }
        hasRun = true
        decoder.codec.pointee.skip_frame = AVDISCARD_DEFAULT
        var cursors = requests.map { SamplingCursor(request: $0, duration: info.duration) }
        // Used only on the conversion queue.
        let scalers = requests.map { FrameScaler(request: $0, rotation: info.rotation, path: input.path) }
        let seeking = cursors.allSatisfy(\.isSparse)
        var state = PassState(position: decoder.hasIndex ? (decoder.indexedKeyframe(atOrBefore: 0) ?? 0) : 0)
        let keyframeBefore: (Double) -> Double? = { decoder.indexedKeyframe(atOrBefore: $0) }

        func handleFrame() throws {
            guard let time = decoder.frameTime else { return }
            let frame = decoder.frame
            let isKeyframe = frame.pointee.key_frame != 0 || frame.pointee.pict_type == AV_PICTURE_TYPE_I
            let index = report.decodedFrames
            report.decodedFrames += 1
            state.position = time
            // What each request takes of this frame: its targets (nil for dense requests), in order.
            var takes: [(request: Int, targets: [Double?])] = []
            for r in cursors.indices {
                var targets: [Double?] = []
                cursors[r].serve(time: time, isKeyframe: isKeyframe, halfFrame: halfFrame,
                                 keyframeBefore: keyframeBefore) { targets.append($0) }
                if !targets.isEmpty { takes.append((r, targets)) }
                report.deliveredFrames += targets.count
            }
            guard !takes.isEmpty else { return }
            try conversion.submit(frame) { frame in
                for (r, targets) in takes {
                    var made = try scalers[r].makeFrame(from: frame, time: time, targetTime: targets[0],
                                                        index: index, isKeyframe: isKeyframe)
                    for target in targets {
                        made.targetTime = target
                        try deliver(r, made)
                    }
                }
            }
        }

        func receiveAll() throws {
            while try decoder.receive() { try handleFrame() }
        }

        var reachedEnd = false
        reading: while true {
            if shouldStop() { break }
            if cursors.allSatisfy(\.isFinished) { break }
            if seeking, seekIfAhead(decoder: decoder, cursors: cursors, state: &state) {
                report.seeks += 1
            }
            switch decoder.readPacket() {
            case .packet:
                // Tell the decoder what it may drop of this packet (non-reference frames before an exact
                // target, everything but keyframes for keyframe and snapped requests). Where the container
                // indexes keyframes, their packet flags are reliable, so packets the decoder would discard
                // anyway are not sent at all.
                let packetTime = decoder.packetTime
                var level = cursors.isEmpty ? AVDISCARD_DEFAULT.rawValue : Int32.max  // per packet: no array
                for cursor in cursors { level = min(level, cursor.discard(packetTime: packetTime, halfFrame: halfFrame).rawValue) }
                if level >= AVDISCARD_NONKEY.rawValue && decoder.hasIndex && !decoder.packetIsKeyframe {
                    continue reading
                }
                decoder.codec.pointee.skip_frame = AVDiscard(rawValue: level)
                try decoder.send()
                try receiveAll()
            case .endOfFile:
                reachedEnd = true
                break reading
            case .failed(let code):
                report.warnings.append(StreamDecoder.readErrorWarning(at: state.position, code: code))
                reachedEnd = true
                break reading
            }
        }
        if reachedEnd {
            try decoder.send(endOfStream: true)
            try receiveAll()
        }
        if let warning = decoder.rejectedPacketsWarning { report.warnings.append(warning) }
        if reachedEnd && report.decodedFrames == 0 {
            throw MediaError(code: 0, operation: "decode video", path: input.path,
                             message: "no frame could be decoded" + (report.warnings.isEmpty ? "" : " (" + report.warnings.joined(separator: "; ") + ")"))
        }
        return report
    }

    /// Mutable facts of a running pass that the seek decision reads.
    private struct PassState {
        /// Time of the last decoded frame (or where decoding starts / resumes after a seek).
        var position: Double
        /// The target the last seek decision was made for, so each target is decided once.
        var decidedTarget: Double? = nil
    }

    /// Before the earliest pending target t: seeks when the keyframe at or before t lies after the last
    /// decoded frame (without index entries: when t is more than 5 s ahead). Returns true when it seeked.
    private func seekIfAhead(decoder: StreamDecoder, cursors: [SamplingCursor], state: inout PassState) -> Bool {
        var earliest: (time: Double, snap: Bool)? = nil
        for cursor in cursors {
            if let t = cursor.pendingTarget, earliest == nil || t < earliest!.time {
                earliest = (t, cursor.snapToKeyframe)
            }
        }
        guard let (target, snap) = earliest, target != state.decidedTarget else { return false }
        state.decidedTarget = target
        // Aim a little early for exact targets: index times are decode times, which precede presentation
        // times by the reorder delay.
        let reorderMargin = info.fps > 0 ? Double(decoder.codec.pointee.has_b_frames + 2) / info.fps : 0.1
        let seekTime = snap ? target : max(0, target - halfFrame - reorderMargin)
        let landing: Double
        if let keyframe = decoder.indexedKeyframe(atOrBefore: seekTime) {
            guard keyframe > state.position + 1e-6 else { return false }
            landing = keyframe
        } else {
            guard seekTime - state.position > 5 else { return false }
            landing = seekTime
        }
        guard decoder.seek(to: seekTime) else { return false }
        state.position = landing
        return true
    }
}
