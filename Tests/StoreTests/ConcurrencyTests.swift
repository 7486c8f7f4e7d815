import Dispatch
import Foundation
import GRDB
import Records
import Testing
import TestSupport
@testable import Store

@Suite struct ConcurrencyTests {
    @Test func concurrentWritesFromManyThreadsAllLand() throws {
        let dir = try TemporaryDirectory()
        let store = try VidpipeStore(path: dir.path("store.sqlite"))
        let workers = 8, stagesPerVideo = 5
        let failures = ErrorCollector()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let video = try store.registerVideo(path: "/v/\(worker).mp4", fingerprint: "fp-\(worker)",
                                                    sizeBytes: Int64(worker), mtimeNs: 1)
                for stage in 0..<stagesPerVideo {
                    let shots = (0..<10).map { ShotSpan(index: $0, start: Double($0), end: Double($0 + 1)) }
                    try store.replaceStageResult(videoID: video.id, stage: "stage\(stage)", fingerprint: "f",
                                                 elapsedSeconds: 0, output: .shots(shots))
                    _ = try store.statusReport()  // reads interleave with the writes
                }
                try store.setVideoStatus(videoID: video.id, status: .done, error: nil, warnings: [])
            } catch {
                failures.append("worker \(worker): \(error)")
            }
        }
        #expect(failures.all == [])
        let report = try store.statusReport()
        #expect(report.videos.done == workers)
        #expect(report.stages.count == stagesPerVideo)
        #expect(report.stages.allSatisfy { $0.done == workers })
        let shotCount = try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM shots") }
        #expect(shotCount == workers * stagesPerVideo * 10)
    }
}
