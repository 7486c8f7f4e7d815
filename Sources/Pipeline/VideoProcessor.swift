import Dispatch
import Foundation
import Logging
import MediaIO
import ModelAPI
import Stages
import Store
import Workers

/// How one video ended in this run.
public struct VideoOutcome: Sendable {
    /// `stopped`: not finished because the store failed (disk full, I/O error); nothing is
    /// recorded against the input, the next run resumes it.
    public enum Status: String, Sendable { case done, failed, stopped }
    public var path: String
    public var status: Status
    /// Nothing had to run: every stage's result was already in the store.
    public var unchanged: Bool
    public var error: String?
    public var warnings: [String]
    /// How each stage ended in this run.
    public var stages: [String: StageOutcome]
}

/// The store failed while a video was processed (see `VidpipeStore.failure`).
struct StoreFault: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs the stage graph over one video: plans, decodes once per wave, writes each stage's result atomically.
final class VideoProcessor: Sendable {
    let graph: PipelineGraph
    let store: VidpipeStore
    let progress: RunProgress
    let logger: Logger
    let providers: ModelProviders
    /// Frames waiting per stage before the decoder blocks.
    static let queueCapacity = 8
    /// The first failure of the store itself in this run (see `VidpipeStore.failure`).
    let storeFault = Locked<String?>(nil)

    init(graph: PipelineGraph, store: VidpipeStore, progress: RunProgress, logger: Logger, providers: ModelProviders = .none) {
        self.graph = graph
        self.store = store
        self.progress = progress
        self.logger = logger
        self.providers = providers
    }

    func process(_ file: InputFile) -> VideoOutcome {
        var outcome = VideoOutcome(path: file.path, status: .done, unchanged: false, error: nil, warnings: [], stages: [:])
        let video: VideoRow
        do {
            if let known = try store.knownVideo(path: file.path, sizeBytes: file.sizeBytes, mtimeNs: file.mtimeNs) {
                video = known
            } else {
                let fingerprint: String
                do {
                    fingerprint = try VideoFingerprint.compute(path: file.path)
                } catch {
                    // Recorded as a failed video, so `status` shows it; the next run tries it again.
                    let reason = "cannot read the file: \(error.reason)"
                    try store.recordUnreadable(path: file.path, sizeBytes: file.sizeBytes, mtimeNs: file.mtimeNs, error: reason)
                    outcome.status = .failed
                    outcome.error = reason
                    return outcome
                }
                if let other = try store.video(fingerprint: fingerprint), other.path != file.path, Self.stillThere(other) {
                    // A copy of a video still in place: processed once, under the path it was first seen at.
                    try store.forgetVideo(path: file.path)
                    outcome.unchanged = true
                    outcome.warnings = ["same content as \(other.path); its results are stored once, under that path"]
                    return outcome
                }
                video = try store.registerVideo(path: file.path, fingerprint: fingerprint, sizeBytes: file.sizeBytes,
                                                mtimeNs: file.mtimeNs)
            }
        } catch {
            return stopped(&outcome, error)
        }
        do {
            return try process(file, video: video, outcome: outcome)
        } catch {
            if noteStoreFault(error) || storeFault.current != nil { return stopped(&outcome, error) }
            let message = "store error: \(error)"
            try? store.setVideoStatus(videoID: video.id, status: .failed, error: message, warnings: [])
            outcome.status = .failed
            outcome.error = message
            return outcome
        }
    }

    /// The file a row names is still there with the row's size (so another path with the same content is a copy).
    static func stillThere(_ video: VideoRow) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: video.path) else { return false }
        return (attributes[.type] as? FileAttributeType) == .typeRegular
            && (attributes[.size] as? NSNumber)?.int64Value == video.sizeBytes
    }

    /// Notes `error` as the run's store fault when it is one (disk full, I/O error, damage); true then.
    @discardableResult
    func noteStoreFault(_ error: any Error) -> Bool {
        guard let fault = store.failure(error) else { return false }
        storeFault.withLock { if $0 == nil { $0 = fault } }
        return true
    }

    /// The video could not be finished because the store failed: nothing is recorded against it.
    private func stopped(_ outcome: inout VideoOutcome, _ error: any Error) -> VideoOutcome {
        // The run stops on any store error here, named as well as the store can say.
        let fault = store.failure(error) ?? "store error: \(error)"
        outcome.status = .stopped
        outcome.unchanged = false
        outcome.error = storeFault.withLock { if $0 == nil { $0 = fault }; return $0 }
        return outcome
    }

    private func process(_ file: InputFile, video: VideoRow, outcome start: VideoOutcome) throws -> VideoOutcome {
        var outcome = start
        let stored = try store.stageResults(videoID: video.id).map {
            ($0.stage, StagePlan.Stored(fingerprint: $0.fingerprint, status: $0.status, error: $0.error))
        }
        var plan = StagePlan(stages: graph.stages, stored: Dictionary(stored) { a, _ in a })
        outcome.stages = plan.outcomes().stages
        if plan.isUpToDate && video.status == .done {
            outcome.unchanged = true
            return outcome
        }
        if file.sizeBytes == 0 {
            return fail(video, &outcome, "empty file (0 bytes)")
        }
        let info: MediaInfo
        do {
            info = try MediaProbe.probe(path: file.path)
        } catch let error as MediaError {
            return fail(video, &outcome, "not a readable media file: \(error.message)")
        } catch {
            return fail(video, &outcome, "not a readable media file: \(error)")
        }
        if !info.hasVideo && !info.hasAudio {
            return fail(video, &outcome, "no video or audio stream")
        }
        try store.recordProbe(videoID: video.id, ProbeFields(
            durationS: info.duration, width: info.width, height: info.height, fps: info.fps, videoCodec: info.videoCodec,
            audioCodec: info.audioCodec, container: info.formatName, hasVideo: info.hasVideo, hasAudio: info.hasAudio,
            rotation: info.rotation))

        var wave = WaveRun(processor: self, file: file, video: video, info: info)
        while true {
            let actions = plan.nextWave(hasVideo: info.hasVideo, hasAudio: info.hasAudio)
            if actions.isEmpty { break }
            for (name, state) in wave.carryOut(actions) { plan.finish(name, state) }
            // Each wave decodes the file again and meets the same damage: each warning once.
            outcome.warnings += wave.warnings.filter { !outcome.warnings.contains($0) }
            if let fault = storeFault.current { throw StoreFault(message: fault) }
        }

        let (stages, failures) = plan.outcomes()
        outcome.stages = stages
        outcome.status = failures.isEmpty ? .done : .failed
        outcome.error = failures.isEmpty ? nil : failures.joined(separator: "; ")
        try store.setVideoStatus(videoID: video.id, status: failures.isEmpty ? .done : .failed, error: outcome.error,
                                 warnings: outcome.warnings)
        return outcome
    }

    private func fail(_ video: VideoRow, _ outcome: inout VideoOutcome, _ reason: String) -> VideoOutcome {
        do {
            try store.setVideoStatus(videoID: video.id, status: .failed, error: reason, warnings: [])
        } catch {
            return stopped(&outcome, error)
        }
        outcome.status = .failed
        outcome.error = reason
        return outcome
    }

    /// Stores a stage's records and its stage_results row in one transaction, then writes its
    /// sidecar files; a failure of either is recorded as the stage's failure.
    fileprivate func commit(_ stage: ConfiguredStage, _ video: VideoRow, output: StageOutput, context: StageContext,
                           elapsed: Double, note: String? = nil) -> StagePlan.State {
        do {
            try store.replaceStageResult(videoID: video.id, stage: stage.name, fingerprint: stage.fingerprint,
                                         elapsedSeconds: elapsed, output: output, frameStage: stage.from.first,
                                         note: [note, output.note].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
        } catch {
            if noteStoreFault(error) { return .failed("could not store the result: \(storeFault.current ?? "")") }
            return record(stage, video, .failed("could not store the result: \(error)"), elapsed: elapsed)
        }
        for sidecar in stage.sidecars(context, output) {
            do {
                try sidecar.write()
            } catch {
                return record(stage, video, .failed("could not write \(sidecar.description): \(describe(error))"), elapsed: elapsed)
            }
        }
        logger.debug("stage done", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "rows": "\(output.rowCount)"])
        return .done
    }

    /// Records a stage that ended without records (failed or skipped) in one transaction.
    fileprivate func record(_ stage: ConfiguredStage, _ video: VideoRow, _ state: StagePlan.State, elapsed: Double) -> StagePlan.State {
        let status: StageStatus, message: String
        switch state {
        case .done: return .done
        case .failed(let m): (status, message) = (.failed, m)
        case .skipped(let m): (status, message) = (.skipped, m)
        }
        do {
            try store.recordStageOutcome(videoID: video.id, stage: stage.name, fingerprint: stage.fingerprint,
                                         status: status, error: message, elapsedSeconds: elapsed)
        } catch {
            noteStoreFault(error)
            logger.error("cannot record stage outcome", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "error": "\(error)"])
        }
        if status == .failed {
            logger.warning("stage failed", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "error": "\(message)"])
        }
        return state
    }
}

/// Carries out the actions of one wave for one video: records what needs no run, computes what
/// needs no decoding, and serves the stages that want frames or audio from one decode pass.
private struct WaveRun {
    let processor: VideoProcessor
    let file: InputFile
    let video: VideoRow
    let info: MediaInfo
    /// Outputs of this video's stages, computed now or loaded from the store, by stage name.
    private var outputs: [String: StageOutput] = [:]
    /// The decoders' warnings of the last wave.
    private(set) var warnings: [String] = []

    init(processor: VideoProcessor, file: InputFile, video: VideoRow, info: MediaInfo) {
        self.processor = processor
        self.file = file
        self.video = video
        self.info = info
    }

    mutating func carryOut(_ actions: [(stage: ConfiguredStage, action: StagePlan.Action)]) -> [(String, StagePlan.State)] {
        var ended: [(String, StagePlan.State)] = []
        var videoJobs: [(ConfiguredStage, StageContext, FrameRequest, any VideoFrameSink)] = []
        var audioJobs: [(ConfiguredStage, StageContext, any AudioChunkSink)] = []
        warnings = []
        for (stage, action) in actions {
            if case .record(let state) = action {
                ended.append((stage.name, processor.record(stage, video, state, elapsed: 0)))
                continue
            }
            let started = Date()
            do {
                let context = try context(for: stage)
                switch try stage.work(context) {
                case .skip(let reason):
                    ended.append((stage.name, processor.record(stage, video, .skipped(reason), elapsed: 0)))
                case .compute(let body):
                    let output = try body()
                    ended.append((stage.name, processor.commit(stage, video, output: output, context: context,
                                                              elapsed: Date().timeIntervalSince(started))))
                    outputs[stage.name] = output
                case .computeWithNote(let body):
                    let (output, note) = try body()
                    ended.append((stage.name, processor.commit(stage, video, output: output, context: context,
                                                              elapsed: Date().timeIntervalSince(started), note: note)))
                    outputs[stage.name] = output
                case .video(let request, let sink):
                    videoJobs.append((stage, context, request, sink))
                case .audio(let sink):
                    audioJobs.append((stage, context, sink))
                }
            } catch {
                ended.append((stage.name, processor.record(stage, video, .failed(describe(error)),
                                                           elapsed: Date().timeIntervalSince(started))))
            }
        }
        if videoJobs.isEmpty && audioJobs.isEmpty { return ended }
        let pass = MediaPassRunner(path: file.path, progress: processor.progress, capacity: VideoProcessor.queueCapacity)
        let results = pass.run(video: videoJobs.map { ($0.0.name, $0.2, $0.3) }, audio: audioJobs.map { ($0.0.name, $0.2) })
        warnings = pass.warnings.current
        let contexts = Dictionary(videoJobs.map { ($0.0.name, ($0.0, $0.1)) } + audioJobs.map { ($0.0.name, ($0.0, $0.1)) }) { a, _ in a }
        for (name, result) in results {
            guard let (stage, context) = contexts[name] else { continue }
            switch result.output {
            case .success(let output):
                let note = ([result.note].compactMap { $0 } + warnings).joined(separator: "; ").nilIfEmpty
                ended.append((name, processor.commit(stage, video, output: output, context: context, elapsed: result.elapsed,
                                                    note: note)))
                outputs[name] = output
            case .failure(let error):
                ended.append((name, processor.record(stage, video, .failed(describe(error)), elapsed: result.elapsed)))
            }
        }
        return ended
    }

    /// The stage's view of this video, its upstream outputs loaded from the store when this run did not make them.
    private mutating func context(for stage: ConfiguredStage) throws -> StageContext {
        var upstream: [String: StageOutput] = [:]
        for name in stage.from {
            if outputs[name] == nil, let kind = processor.graph.stage(named: name)?.outputKind {
                outputs[name] = try processor.store.output(kind, videoID: video.id, stage: name)
            }
            upstream[name] = outputs[name]
        }
        return StageContext(videoPath: file.path, info: info, upstream: upstream,
                            provider: processor.providers.provider(named: stage.provider), stageName: stage.name,
                            pipelineDirectory: processor.graph.config.baseDirectory)
    }
}

/// One line, whatever the error type.
func describe(_ error: any Error) -> String {
    if let media = error as? MediaError { return media.description }
    if let parameter = error as? ParameterError { return parameter.description }
    if let model = error as? ModelProviderError { return model.message }
    let text = String(describing: error)
    return text.replacingOccurrences(of: "\n", with: " ")
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
