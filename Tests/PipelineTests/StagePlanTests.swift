import Foundation
@testable import Pipeline
import Store
import Testing

/// The planning half of a video's run, without media or store: reuse, waves, and how a failure or
/// a skip travels downstream.
@Suite("stage plan")
struct StagePlanTests {
    /// shots → keyframes → ocr; segments (audio) → speech; fuse reads shots and speech.
    static let graph = try! PipelineGraph.build(ConfigLoader.parse("""
        version: 1
        stages:
          shots: { use: shots.detect }
          keyframes: { use: frames.keyframes, from: shots }
          ocr: { use: text.ocr, from: keyframes }
          segments: { use: audio.segments }
          speech: { use: speech.transcribe, from: segments, with: { engine: pocketsphinx } }
          fuse: { use: timeline.fuse, from: [shots, speech] }
        """, file: "/tmp/plan.yml"))

    typealias State = StagePlan.State

    static func stored(_ states: [String: StageStatus], changed: Set<String> = []) -> [String: StagePlan.Stored] {
        Dictionary(uniqueKeysWithValues: states.map { name, status in
            let fingerprint = graph.stage(named: name)!.fingerprint
            return (name, StagePlan.Stored(fingerprint: changed.contains(name) ? "old" : fingerprint, status: status,
                                           error: status == .done ? nil : "earlier \(status)"))
        })
    }

    /// Runs the plan to the end: every `.run` ends as `ran[name]` (default done); returns the waves' names and actions.
    static func drive(_ plan: inout StagePlan, video: Bool = true, audio: Bool = true, ran: [String: State] = [:])
        -> [[String: StagePlan.Action]] {
        var waves: [[String: StagePlan.Action]] = []
        while true {
            let wave = plan.nextWave(hasVideo: video, hasAudio: audio)
            if wave.isEmpty { return waves }
            waves.append(Dictionary(uniqueKeysWithValues: wave.map { ($0.stage.name, $0.action) }))
            for (stage, action) in wave {
                switch action {
                case .record(let state): plan.finish(stage.name, state)
                case .run: plan.finish(stage.name, ran[stage.name] ?? .done)
                }
            }
        }
    }

    @Test("a fresh video runs in waves that follow the edges")
    func freshVideo() {
        var plan = StagePlan(stages: Self.graph.stages, stored: [:])
        #expect(!plan.isUpToDate)
        let waves = Self.drive(&plan)
        #expect(waves.map { Set($0.keys) } == [["shots", "segments"], ["keyframes", "speech"], ["ocr", "fuse"]])
        #expect(waves.allSatisfy { $0.values.allSatisfy { $0 == .run } })
        #expect(plan.outcomes().stages == Dictionary(uniqueKeysWithValues: Self.graph.stages.map { ($0.name, StageOutcome.done) }))
        #expect(plan.outcomes().failures.isEmpty)
    }

    @Test("everything stored under the same fingerprints: nothing to run, every stage reused")
    func upToDate() {
        let all = Dictionary(uniqueKeysWithValues: Self.graph.stages.map { ($0.name, StageStatus.done) })
        var plan = StagePlan(stages: Self.graph.stages, stored: Self.stored(all))
        #expect(plan.isUpToDate)
        #expect(Self.drive(&plan).isEmpty)
        #expect(Set(plan.outcomes().stages.values) == [.reused])
    }

    @Test("a stored skip is reused as a skip and skips what reads from it")
    func storedSkipPropagates() {
        var plan = StagePlan(stages: Self.graph.stages, stored: Self.stored(["segments": .skipped, "shots": .done]))
        let waves = Self.drive(&plan)
        #expect(waves.first?["speech"] == .record(.skipped("upstream stage 'segments' was skipped")))
        #expect(waves.first?["keyframes"] == .run)
        let outcomes = plan.outcomes().stages
        #expect(outcomes["segments"] == .reused && outcomes["shots"] == .reused)
        #expect(outcomes["speech"] == .skipped && outcomes["fuse"] == .skipped)
        #expect(outcomes["ocr"] == .done)
    }

    @Test("a stored failure is not reused: the stage runs again")
    func storedFailureReruns() {
        var plan = StagePlan(stages: Self.graph.stages, stored: Self.stored(["shots": .failed, "segments": .done]))
        let waves = Self.drive(&plan)
        #expect(waves.first?["shots"] == .run)
        #expect(waves.first?["segments"] == nil)
        #expect(plan.outcomes().stages["shots"] == .done && plan.outcomes().stages["segments"] == .reused)
    }

    @Test("a changed fingerprint upstream reruns it; its descendants run again because theirs changed too")
    func changedFingerprint() {
        let all = Dictionary(uniqueKeysWithValues: Self.graph.stages.map { ($0.name, StageStatus.done) })
        let changed = Set(["shots"]).union(Self.graph.descendants(of: "shots"))
        var plan = StagePlan(stages: Self.graph.stages, stored: Self.stored(all, changed: changed))
        let ran = Set(Self.drive(&plan).flatMap(\.keys))
        #expect(ran == changed)
        #expect(plan.outcomes().stages["segments"] == .reused && plan.outcomes().stages["speech"] == .reused)
    }

    @Test("a failure now fails every stage downstream, with the upstream's name, and only those")
    func failurePropagates() {
        var plan = StagePlan(stages: Self.graph.stages, stored: [:])
        let waves = Self.drive(&plan, ran: ["keyframes": .failed("decoder gave up")])
        #expect(waves[2]["ocr"] == .record(.failed("upstream stage 'keyframes' failed")))
        #expect(waves[2]["fuse"] == .run)
        let (stages, failures) = plan.outcomes()
        #expect(stages["keyframes"] == .failed && stages["ocr"] == .failed && stages["fuse"] == .done)
        #expect(failures == ["stage 'keyframes': decoder gave up", "stage 'ocr': upstream stage 'keyframes' failed"])
    }

    @Test("a failure wins over a skip when a stage reads from both")
    func failureBeatsSkip() {
        var plan = StagePlan(stages: Self.graph.stages, stored: [:])
        let waves = Self.drive(&plan, ran: ["shots": .failed("no frames"), "speech": .skipped("no speech")])
        #expect(waves[2]["fuse"] == .record(.failed("upstream stage 'shots' failed")))
    }

    @Test("no audio stream: audio stages skip, their readers skip, video stages run")
    func noAudio() {
        var plan = StagePlan(stages: Self.graph.stages, stored: [:])
        let waves = Self.drive(&plan, audio: false)
        #expect(waves[0]["segments"] == .record(.skipped("no audio stream")))
        #expect(waves[0]["shots"] == .run)
        #expect(waves[1]["speech"] == .record(.skipped("upstream stage 'segments' was skipped")))
        let stages = plan.outcomes().stages
        #expect(stages["ocr"] == .done && stages["fuse"] == .skipped)
    }

    @Test("no video stream: video stages skip and so does everything reading them")
    func noVideo() {
        var plan = StagePlan(stages: Self.graph.stages, stored: [:])
        _ = Self.drive(&plan, video: false)
        let stages = plan.outcomes().stages
        #expect(stages["shots"] == .skipped && stages["keyframes"] == .skipped && stages["ocr"] == .skipped)
        #expect(stages["speech"] == .done && stages["fuse"] == .skipped)
    }
}
