import Foundation
import Workers

/// Live counters of a run, updated by the workers and read by the progress display.
public final class RunProgress: Sendable {
    public struct Snapshot: Sendable {
        public var videosTotal = 0
        public var videosDone = 0
        public var videosFailed = 0
        public var videosUnchanged = 0
        public var bytesTotal: Int64 = 0
        public var bytesDone: Int64 = 0
        public var framesAnalysed = 0
        public var inFlight: [String] = []
        public var started = Date()

        public var videosFinished: Int { videosDone + videosFailed }
        public var elapsed: Double { Date().timeIntervalSince(started) }
        public var framesPerSecond: Double { elapsed > 0 ? Double(framesAnalysed) / elapsed : 0 }
        /// Remaining time estimated from the bytes processed so far (videos differ in length).
        public var eta: Double? {
            guard bytesDone > 0, bytesTotal > bytesDone, elapsed > 1 else { return nil }
            return elapsed * Double(bytesTotal - bytesDone) / Double(bytesDone)
        }
    }

    private let state = Locked(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.current }

    func start(videos: Int, bytes: Int64) {
        state.withLock {
            $0.videosTotal = videos
            $0.bytesTotal = bytes
            $0.started = Date()
        }
    }

    func began(_ path: String) { state.withLock { $0.inFlight.append(path) } }

    func finished(_ path: String, bytes: Int64, failed: Bool, unchanged: Bool) {
        state.withLock {
            $0.inFlight.removeAll { $0 == path }
            $0.bytesDone += bytes
            if failed { $0.videosFailed += 1 } else { $0.videosDone += 1 }
            if unchanged { $0.videosUnchanged += 1 }
        }
    }

    func analysed(frames: Int) { state.withLock { $0.framesAnalysed += frames } }
}
