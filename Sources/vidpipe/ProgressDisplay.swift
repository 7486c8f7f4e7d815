import Dispatch
import Foundation
import Pipeline
import Workers

/// Progress on stderr: a live one-line bar on a terminal; plain lines every 30 s otherwise (cron, CI logs).
final class ProgressDisplay: Sendable {
    let progress: RunProgress
    let verbose: Bool
    let isTerminal = isatty(STDERR_FILENO) == 1
    private let queue = DispatchQueue(label: "vidpipe.progress")
    private let timer = Locked<(any DispatchSourceTimer)?>(nil)
    private let barShown = Locked(false)

    init(progress: RunProgress, verbose: Bool) {
        self.progress = progress
        self.verbose = verbose
    }

    func start() {
        let interval: DispatchTimeInterval = isTerminal ? .milliseconds(250) : .seconds(30)
        timer.withLock { timer in
            let t = DispatchSource.makeTimerSource(queue: queue)
            t.schedule(deadline: .now() + interval, repeating: interval)
            t.setEventHandler { [self] in tick() }
            t.resume()
            timer = t
        }
    }

    func stop() {
        timer.withLock { $0?.cancel(); $0 = nil }
        queue.sync { clearBar() }
    }

    /// A line that must not be overwritten by the bar.
    func message(_ text: String) {
        queue.async { [self] in
            clearBar()
            write(text + "\n")
        }
    }

    func videoFinished(_ outcome: VideoOutcome) {
        let s = progress.snapshot
        let position = "[\(s.videosFinished)/\(s.videosTotal)]"
        let line: String
        let path = outcome.path  // the whole line is escaped below
        let warn = outcome.warnings.isEmpty ? "" : " (warning: \(outcome.warnings.joined(separator: "; ")))"
        switch outcome.status {
        case .failed: line = "\(position) failed \(path): \(outcome.error ?? "unknown error")"
        case .done where outcome.unchanged:
            guard verbose || !isTerminal || !outcome.warnings.isEmpty else { return }
            line = "\(position) unchanged \(path)\(warn)"
        case .done:
            line = "\(position) done \(path)\(warn)"
        case .stopped:
            line = "\(position) not finished \(path): \(outcome.error ?? "store error")"
        }
        message(Printable.line(line))
    }

    func summary(_ summary: RunSummary) {
        let v = summary.videos
        var text = String(format: "vidpipe: %d done (%d unchanged), %d failed, %d pending in %.1f s",
                          v.done, v.unchanged, v.failed, v.pending, summary.elapsed_s)
        if let storeError = summary.store_error {
            text += "\nerror: \(Printable.line(storeError))"
        } else if v.pending > 0 {
            text += "; interrupted — run again to resume"
        }
        if !summary.skipped_folders.isEmpty {
            text += "\nwarning: \(summary.skipped_folders.count) folder\(summary.skipped_folders.count == 1 ? "" : "s") "
                + "could not be listed; their files were not processed (listed above)"
        }
        write(text + "\n")
    }

    private func tick() {
        let s = progress.snapshot
        let fps = String(format: "%.0f frames/s", s.framesPerSecond)
        let eta = s.eta.map { "ETA \(Self.clock($0))" } ?? "ETA --"
        if isTerminal {
            let width = 24
            let fraction = s.bytesTotal > 0 ? Double(s.bytesDone) / Double(s.bytesTotal) : 0
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let current = s.inFlight.first.map { " " + ($0 as NSString).lastPathComponent } ?? ""
            write("\r\u{1B}[2K\(bar) \(s.videosFinished)/\(s.videosTotal) videos · \(fps) · \(eta)\(current)")
            barShown.withLock { $0 = true }
        } else {
            write("progress: \(s.videosFinished)/\(s.videosTotal) videos (\(s.videosFailed) failed) · \(fps) · \(eta) · elapsed \(Self.clock(s.elapsed))\n")
        }
    }

    private func clearBar() {
        if barShown.withLock({ let was = $0; $0 = false; return was }) { write("\r\u{1B}[2K") }
    }

    private func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
