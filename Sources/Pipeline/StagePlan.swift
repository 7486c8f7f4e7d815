import Stages
import Store

/// How one stage of one video ended in this run (what `run --json` counts).
public enum StageOutcome: String, Sendable, Codable, CaseIterable {
    case done, failed, skipped
    /// Its stored result was still valid (same fingerprint): nothing ran.
    case reused
}

/// The planning half of running a graph over one video, free of media and store: given the stages
/// and the results stored for them, it says, wave by wave, what to do with each stage; the caller
/// carries the actions out and reports back how each stage ended.
struct StagePlan {
    /// Where a stage stands once its wave is over.
    enum State: Equatable {
        case done
        case failed(String)
        case skipped(String)
    }

    enum Action: Equatable {
        /// Record this end without running the stage (an upstream failed or was skipped, or the
        /// file lacks the stream the stage decodes).
        case record(State)
        /// Ask the stage for its work (compute, or frames/audio from this wave's decode pass).
        case run
    }

    /// What the store holds for a stage (from `stage_results`).
    struct Stored: Equatable {
        var fingerprint: String
        var status: StageStatus
        var error: String?
    }

    private(set) var states: [String: State] = [:]
    private(set) var reused: Set<String> = []
    private var remaining: [ConfiguredStage] = []
    private let order: [String]

    /// Stages whose stored result is valid (same fingerprint, done or skipped) are reused; the rest
    /// are pending, to run in waves.
    init(stages: [ConfiguredStage], stored: [String: Stored]) {
        order = stages.map(\.name)
        for stage in stages {
            if let r = stored[stage.name], r.fingerprint == stage.fingerprint, r.status != .failed {
                states[stage.name] = r.status == .skipped ? .skipped(r.error ?? "skipped earlier") : .done
                reused.insert(stage.name)
            } else {
                remaining.append(stage)
            }
        }
    }

    /// Nothing to run: every stage's stored result is valid.
    var isUpToDate: Bool { remaining.isEmpty && reused.count == order.count }

    /// The next wave: every pending stage whose upstream stages have all ended, with its action.
    /// Empty when nothing is left. The caller reports each stage's end with `finish` before asking again.
    mutating func nextWave(hasVideo: Bool, hasAudio: Bool) -> [(stage: ConfiguredStage, action: Action)] {
        let wave = remaining.filter { $0.from.allSatisfy { states[$0] != nil } }
        remaining.removeAll { stage in wave.contains { $0.name == stage.name } }
        return wave.map { stage in (stage, action(for: stage, hasVideo: hasVideo, hasAudio: hasAudio)) }
    }

    private func action(for stage: ConfiguredStage, hasVideo: Bool, hasAudio: Bool) -> Action {
        for upstream in stage.from {
            if case .failed = states[upstream] { return .record(.failed("upstream stage '\(upstream)' failed")) }
        }
        for upstream in stage.from {
            if case .skipped = states[upstream] { return .record(.skipped("upstream stage '\(upstream)' was skipped")) }
        }
        if stage.media == .video && !hasVideo { return .record(.skipped("no video stream")) }
        if stage.media == .audio && !hasAudio { return .record(.skipped("no audio stream")) }
        return .run
    }

    mutating func finish(_ name: String, _ state: State) { states[name] = state }

    /// Every stage's outcome in this run, and the failures as "stage 'NAME': reason", in graph order.
    func outcomes() -> (stages: [String: StageOutcome], failures: [String]) {
        var stages: [String: StageOutcome] = [:]
        var failures: [String] = []
        for name in order {
            switch states[name] {
            case .failed(let message)?:
                failures.append("stage '\(name)': \(message)")
                stages[name] = .failed
            case .skipped?: stages[name] = reused.contains(name) ? .reused : .skipped
            case .done?: stages[name] = reused.contains(name) ? .reused : .done
            case nil: break
            }
        }
        return (stages, failures)
    }
}
