/// The media times a sparse policy asks for, in increasing order, generated on demand.
struct TargetSchedule {
    private enum Source {
        case list([Double])
        /// 0, step, 2 step, ... below `end` (no end when the duration is unknown).
        case stride(step: Double, end: Double?)
    }

    private let source: Source

    /// nil for dense policies (everyFrame, keyframesOnly).
    init?(policy: SamplingPolicy, duration: Double) {
        let end: Double? = duration > 0 ? duration : nil
        switch policy {
        case .everyFrame, .keyframesOnly:
            return nil
        case .interval(let seconds):
            source = seconds > 0 ? .stride(step: seconds, end: end) : .list([])
        case .fps(let fps):
            source = fps > 0 ? .stride(step: 1 / fps, end: end) : .list([])
        case .timestamps(let times):
            source = .list(Array(Set(times.filter { $0.isFinite })).sorted())
        }
    }

    /// The k-th target, or nil past the last one.
    func target(_ k: Int) -> Double? {
        switch source {
        case .list(let times):
            return k < times.count ? times[k] : nil
        case .stride(let step, let end):
            let t = Double(k) * step
            if let end, t >= end - 1e-9 { return nil }
            return t
        }
    }
}
