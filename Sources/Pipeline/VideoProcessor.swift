import Dispatch
import Foundation
import Logging
import MediaIO
import ModelAPI
import Stages
import Store

/// How one video ended in this run.
public struct VideoOutcome: Sendable {
    public enum Status: String, Sendable { case done, failed }
    public var path: String
    public var status: Status
    /// Nothing had to run: every stage's result was already in the store.
    public var unchanged: Bool
    public var error: String?
    public var warnings: [String]
    /// Per stage of this run: done, failed, skipped or reused.
    public var stages: [String: String]
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

    init(graph: PipelineGraph, store: VidpipeStore, progress: RunProgress, logger: Logger, providers: ModelProviders = .none) {
        self.graph = graph
        self.store = store
        self.progress = progress
        self.logger = logger
        self.providers = providers
    }

    private enum Finished {
        case done
        case failed(String)
        case skipped(String)
    }

    func process(_ file: InputFile) -> VideoOutcome {
        var outcome = VideoOutcome(path: file.path, status: .done, unchanged: false, error: nil, warnings: [], stages: [:])
        let video: VideoRow
        do {
            if let known = try store.knownVideo(path: file.path, sizeBytes: file.sizeBytes, mtimeNs: file.mtimeNs) {
                video = known
            } else {
                let fingerprint = try VideoFingerprint.compute(path: file.path)
                video = try store.registerVideo(path: file.path, fingerprint: fingerprint, sizeBytes: file.sizeBytes,
                                                mtimeNs: file.mtimeNs)
            }
        } catch {
            outcome.status = .failed
            outcome.error = "cannot read the file: \(error.localizedDescription)"
            return outcome
        }
        do {
            return try process(file, video: video, outcome: outcome)
        } catch {
            let message = "store error: \(error)"
            try? store.setVideoStatus(videoID: video.id, status: .failed, error: message, warnings: [])
            outcome.status = .failed
            outcome.error = message
            return outcome
        }
    }

    private func process(_ file: InputFile, video: VideoRow, outcome start: VideoOutcome) throws -> VideoOutcome {
        var outcome = start
        let previous = Dictionary(try store.stageResults(videoID: video.id).map { ($0.stage, $0) }) { a, _ in a }
        var finished: [String: Finished] = [:]
        var pending: [ConfiguredStage] = []
        for stage in graph.stages {
            if let r = previous[stage.name], r.fingerprint == stage.fingerprint, r.status != .failed {
                finished[stage.name] = r.status == .skipped ? .skipped(r.error ?? "skipped") : .done
                outcome.stages[stage.name] = "reused"
            } else {
                pending.append(stage)
            }
        }
        if pending.isEmpty && video.status == .done {
            outcome.unchanged = true
            return outcome
        }

        let info: MediaInfo
        if file.sizeBytes == 0 {
            return fail(video, &outcome, "empty file (0 bytes)")
        }
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

        var outputs: [String: StageOutput] = [:]
        var remaining = pending
        while !remaining.isEmpty {
            let wave = remaining.filter { stage in stage.from.allSatisfy { finished[$0] != nil } }
            guard !wave.isEmpty else { break }  // cannot happen for a validated (acyclic) graph
            remaining.removeAll { s in wave.contains { $0.name == s.name } }
            var videoJobs: [(ConfiguredStage, FrameRequest, any VideoFrameSink)] = []
            var audioJobs: [(ConfiguredStage, any AudioChunkSink)] = []
            for stage in wave {
                if let blocker = stage.from.first(where: { if case .failed = finished[$0] { return true } else { return false } }) {
                    finished[stage.name] = record(stage, video, .failed("upstream stage '\(blocker)' failed"), elapsed: 0)
                    continue
                }
                if let blocker = stage.from.first(where: { if case .skipped = finished[$0] { return true } else { return false } }) {
                    finished[stage.name] = record(stage, video, .skipped("upstream stage '\(blocker)' was skipped"), elapsed: 0)
                    continue
                }
                if stage.media == .video && !info.hasVideo {
                    finished[stage.name] = record(stage, video, .skipped("no video stream"), elapsed: 0)
                    continue
                }
                if stage.media == .audio && !info.hasAudio {
                    finished[stage.name] = record(stage, video, .skipped("no audio stream"), elapsed: 0)
                    continue
                }
                let started = Date()
                do {
                    var upstream: [String: StageOutput] = [:]
                    for name in stage.from {
                        if outputs[name] == nil, let kind = graph.stage(named: name)?.outputKind {
                            outputs[name] = try StageOutputMapping.load(kind: kind, videoID: video.id, stage: name, store: store)
                        }
                        upstream[name] = outputs[name]
                    }
                    let context = StageContext(videoPath: file.path, info: info, upstream: upstream,
                                               provider: providers.provider(named: stage.provider), stageName: stage.name,
                                               pipelineDirectory: graph.config.baseDirectory)
                    switch try stage.work(context) {
                    case .skip(let reason):
                        finished[stage.name] = record(stage, video, .skipped(reason), elapsed: 0)
                    case .compute(let body):
                        let output = try body()
                        finished[stage.name] = record(stage, video, output: output, elapsed: Date().timeIntervalSince(started))
                        outputs[stage.name] = output
                    case .video(let request, let sink):
                        videoJobs.append((stage, request, sink))
                    case .audio(let sink):
                        audioJobs.append((stage, sink))
                    }
                } catch {
                    finished[stage.name] = record(stage, video, .failed(describe(error)), elapsed: Date().timeIntervalSince(started))
                }
            }
            if videoJobs.isEmpty && audioJobs.isEmpty { continue }
            let pass = MediaPassRunner(path: file.path, progress: progress, capacity: Self.queueCapacity)
            let results = pass.run(video: videoJobs.map { ($0.0.name, $0.1, $0.2) }, audio: audioJobs.map { ($0.0.name, $0.1) })
            outcome.warnings += pass.warnings.current
            for (name, result) in results {
                guard let stage = graph.stage(named: name) else { continue }
                switch result.output {
                case .success(let output):
                    finished[name] = record(stage, video, output: output, elapsed: result.elapsed,
                                            note: ([result.note].compactMap { $0 } + pass.warnings.current).joined(separator: "; ").nilIfEmpty)
                    outputs[name] = output
                case .failure(let error):
                    finished[name] = record(stage, video, .failed(describe(error)), elapsed: result.elapsed)
                }
            }
        }

        var failures: [String] = []
        for stage in graph.stages {
            switch finished[stage.name] {
            case .failed(let message)?:
                failures.append("stage '\(stage.name)': \(message)")
                outcome.stages[stage.name] = "failed"
            case .skipped?: if outcome.stages[stage.name] == nil { outcome.stages[stage.name] = "skipped" }
            case .done?: if outcome.stages[stage.name] == nil { outcome.stages[stage.name] = "done" }
            case nil: break
            }
        }
        outcome.status = failures.isEmpty ? .done : .failed
        outcome.error = failures.isEmpty ? nil : failures.joined(separator: "; ")
        try store.setVideoStatus(videoID: video.id, status: failures.isEmpty ? .done : .failed, error: outcome.error,
                                 warnings: outcome.warnings)
        return outcome
    }

    private func fail(_ video: VideoRow, _ outcome: inout VideoOutcome, _ reason: String) -> VideoOutcome {
        try? store.setVideoStatus(videoID: video.id, status: .failed, error: reason, warnings: [])
        outcome.status = .failed
        outcome.error = reason
        return outcome
    }

    /// Writes a stage's rows and its stage_results row in one transaction.
    private func record(_ stage: ConfiguredStage, _ video: VideoRow, output: StageOutput, elapsed: Double, note: String? = nil) -> Finished {
        do {
            try store.replaceStageResult(videoID: video.id, stage: stage.name, fingerprint: stage.fingerprint,
                                         elapsedSeconds: elapsed, rows: StageOutputMapping.rows(output, stage: stage),
                                         note: [note, output.note].compactMap { $0 }.joined(separator: "; ").nilIfEmpty)
            logger.debug("stage done", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "rows": "\(output.rowCount)"])
            return .done
        } catch {
            return record(stage, video, .failed("could not store the result: \(error)"), elapsed: elapsed)
        }
    }

    private func record(_ stage: ConfiguredStage, _ video: VideoRow, _ state: Finished, elapsed: Double) -> Finished {
        let status: StageStatus, message: String?
        switch state {
        case .done: return .done
        case .failed(let m): (status, message) = (.failed, m)
        case .skipped(let m): (status, message) = (.skipped, m)
        }
        do {
            try store.recordStageOutcome(videoID: video.id, stage: stage.name, fingerprint: stage.fingerprint,
                                         status: status, error: message, elapsedSeconds: elapsed)
        } catch {
            logger.error("cannot record stage outcome", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "error": "\(error)"])
        }
        if status == .failed {
            logger.warning("stage failed", metadata: ["video": "\(video.path)", "stage": "\(stage.name)", "error": "\(message ?? "")"])
        }
        return state
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
