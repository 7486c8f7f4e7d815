import Dispatch
import Foundation
import Pipeline
import Store

/// `run --metrics-file PATH`: the run's figures in Prometheus' text format, for node_exporter's
/// textfile collector (which reads `*.prom` files from one folder). Written atomically (a temporary
/// file next to PATH, renamed over it) every 30 s while the run goes, and at its end.
// @unchecked: the timer is a DispatchSource (thread-safe, not marked Sendable), created in init and
// only resumed and cancelled afterwards; every other stored property is immutable and Sendable.
final class MetricsFile: @unchecked Sendable {
    let path: String
    let store: VidpipeStore
    let progress: RunProgress
    let pipeline: String
    let started = Date()
    private let queue = DispatchQueue(label: "vidpipe.metrics")
    private let timer: any DispatchSourceTimer

    init(path: String, store: VidpipeStore, progress: RunProgress, pipeline: String) {
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        self.store = store
        self.progress = progress
        self.pipeline = pipeline
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Writes now and every `interval` seconds until `finish`.
    func start(interval: Double = 30) {
        timer.schedule(deadline: .now(), repeating: interval)
        timer.setEventHandler { [self] in try? write(summary: nil) }
        timer.resume()
    }

    /// The final figures; stops the periodic writes. Throws when the file cannot be written.
    func finish(_ summary: RunSummary?) throws {
        timer.cancel()
        try queue.sync { try write(summary: summary) }
    }

    func write(summary: RunSummary?) throws {
        let text = render(summary: summary)
        let folder = (path as NSString).deletingLastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(".\((path as NSString).lastPathComponent).tmp")
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
    }

    /// A label value: backslash, double quote and line feed escaped, as the format wants.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    func render(summary: RunSummary?) -> String {
        let p = "pipeline=\"\(Self.label(pipeline))\""
        let s = progress.snapshot
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                let labels = sample.labels.isEmpty ? p : p + "," + sample.labels
                out += "\(name){\(labels)} \(Self.number(sample.value))\n"
            }
        }
        metric("vidpipe_run_start_timestamp_seconds", "gauge", "When the latest run started (Unix time).",
               [("", started.timeIntervalSince1970)])
        metric("vidpipe_run_running", "gauge", "1 while the run goes, 0 once it ended.", [("", summary == nil ? 1 : 0)])
        if let summary {
            // Exit 0 or 2: the run went through its files (2: some inputs failed, each recorded).
            let succeeded = summary.exitCode == 0 || summary.exitCode == 2
            metric("vidpipe_run_exit_code", "gauge", "The latest run's exit code (0 done, 1 store failure, 2 some inputs failed, 3 interrupted).",
                   [("", Double(summary.exitCode))])
            if succeeded {
                metric("vidpipe_last_success_timestamp_seconds", "gauge", "When a run last went through all its files (exit 0 or 2).",
                       [("", Date().timeIntervalSince1970)])
            }
            metric("vidpipe_run_duration_seconds", "gauge", "The latest run's wall time.", [("", summary.elapsed_s)])
        }
        let v = summary?.videos
        metric("vidpipe_videos", "gauge", "This run's videos by outcome (done includes unchanged).", [
            ("state=\"done\"", Double(v?.done ?? s.videosDone)),
            ("state=\"failed\"", Double(v?.failed ?? s.videosFailed)),
            ("state=\"unchanged\"", Double(v?.unchanged ?? s.videosUnchanged)),
            ("state=\"pending\"", Double(v?.pending ?? max(0, s.videosTotal - s.videosFinished))),
        ])
        metric("vidpipe_frames_decoded_total", "counter", "Frames decoded and analysed in this run.", [("", Double(s.framesAnalysed))])
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let since = formatter.string(from: started)
        if let stages = try? store.stageTimes(finishedSince: since) {
            metric("vidpipe_stage_seconds_total", "counter", "Seconds the stages computed in this run, by stage.",
                   stages.map { ("stage=\"\(Self.label($0.stage))\"", $0.seconds) })
            metric("vidpipe_stage_results_total", "counter", "Stage results this run stored, by stage and status.",
                   stages.flatMap { t in t.counts.map { ("stage=\"\(Self.label(t.stage))\",status=\"\($0.key.rawValue)\"", Double($0.value)) } })
        }
        if let models = try? store.modelUsage() {
            metric("vidpipe_model_calls_total", "counter", "Model calls sent over the wire (the store's whole history; cache hits not counted).",
                   models.map { ("provider=\"\(Self.label($0.provider))\",model=\"\(Self.label($0.model))\"", Double($0.calls)) })
            metric("vidpipe_model_tokens_total", "counter", "Tokens of those calls (prompt + completion).",
                   models.map { ("provider=\"\(Self.label($0.provider))\",model=\"\(Self.label($0.model))\"", Double($0.total_tokens)) })
        }
        return out
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "NaN"
    }
}
