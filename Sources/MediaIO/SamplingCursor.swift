internal import CFFmpeg

/// Where one FrameRequest stands during a pass: which frames it takes and which target comes next.
struct SamplingCursor {
    private enum Kind {
        case everyFrame
        case keyframes
        case targets(TargetSchedule)
    }

    private let kind: Kind
    let snapToKeyframe: Bool
    /// Index of the next target in the schedule.
    private var next = 0

    init(request: FrameRequest, duration: Double) {
        switch request.policy {
        case .everyFrame: kind = .everyFrame
        case .keyframesOnly: kind = .keyframes
        default: kind = .targets(TargetSchedule(policy: request.policy, duration: duration)!)
        }
        snapToKeyframe = request.snapToKeyframe
    }

    var isSparse: Bool {
        if case .targets = kind { return true }
        return false
    }

    /// The next target time this cursor waits for (nil when dense or when every target was served).
    var pendingTarget: Double? {
        guard case .targets(let schedule) = kind else { return nil }
        return schedule.target(next)
    }

    /// True when a sparse cursor has served all its targets; dense cursors finish only at the end of the file.
    var isFinished: Bool { isSparse && pendingTarget == nil }

    /// The most the decoder may discard of the packet presented at `packetTime` (nil when unknown) without
    /// changing what this cursor is served: keyframe cursors (and snapped targets) take keyframes only;
    /// an exact target t is served by the first frame at or after t - halfFrame, so before that a frame
    /// nothing references (a non-reference B-frame) need not be decoded.
    func discard(packetTime: Double?, halfFrame: Double) -> AVDiscard {
        switch kind {
        case .everyFrame:
            return AVDISCARD_DEFAULT
        case .keyframes:
            return AVDISCARD_NONKEY
        case .targets:
            guard let target = pendingTarget else { return AVDISCARD_ALL }
            if snapToKeyframe { return AVDISCARD_NONKEY }
            guard let time = packetTime, time < target - halfFrame - 1e-6 else { return AVDISCARD_DEFAULT }
            return AVDISCARD_NONREF
        }
    }

    /// Calls `take(targetTime)` once for every delivery the frame at `time` makes for this request, in order
    /// (several targets can fall on the same frame). A target t is served by the first frame whose time is
    /// >= t - halfFrame; with snapToKeyframe, by the first keyframe at or after the keyframe that precedes t
    /// (`keyframeBefore(t)`, nil when unknown).
    mutating func serve(time: Double, isKeyframe: Bool, halfFrame: Double, keyframeBefore: (Double) -> Double?,
                        take: (Double?) throws -> Void) rethrows {
        switch kind {
        case .everyFrame:
            try take(nil)
        case .keyframes:
            if isKeyframe { try take(nil) }
        case .targets(let schedule):
            while let target = schedule.target(next) {
                if snapToKeyframe {
                    let floor = keyframeBefore(target) ?? target
                    guard isKeyframe && time >= floor - halfFrame else { return }
                } else {
                    guard time >= target - halfFrame else { return }
                }
                try take(target)
                next += 1
            }
        }
    }
}
