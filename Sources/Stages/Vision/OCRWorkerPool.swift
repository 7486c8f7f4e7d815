import Dispatch
import Foundation
import MediaIO
import TesseractOCR

/// Reads gray frames with `workers` Tesseract engines in parallel, each engine created on and used
/// only from its own serial Dispatch queue (Tesseract blocks for a long time; it never runs on Swift
/// concurrency's pool). At most one frame per engine is in flight, so `read` blocks the caller (the
/// stage's sink queue) while every engine is busy, which holds back the decoder.
final class OCRWorkerPool: @unchecked Sendable {  // mutable state is guarded by `lock`; each engine is touched only on its slot's queue
    /// One engine and the queue it lives on.
    private final class Slot: @unchecked Sendable {  // `engine` is created and used only on `queue`
        let queue: DispatchQueue
        var engine: TesseractEngine?
        init(index: Int) { queue = DispatchQueue(label: "vidpipe.ocr.tesseract.\(index)") }
    }

    private let language: String
    private let dataPath: String?
    private let slots: [Slot]
    private let idle: DispatchSemaphore
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var idleSlots: [Int]
    private var pages: [Double: OCRPage] = [:]
    private var failure: (any Error)?

    init(workers: Int, language: String, dataPath: String?) {
        self.language = language
        self.dataPath = dataPath
        slots = (0..<workers).map(Slot.init)
        idle = DispatchSemaphore(value: workers)
        idleSlots = Array((0..<workers).reversed())
    }

    /// Hands the frame (gray8) to an idle engine; its page is stored under `key`. Throws the first
    /// error an engine raised, so the stage stops early.
    func read(_ frame: VideoFrame, key: Double) throws {
        try rethrowFailure()
        idle.wait()
        let index = lock.withLock { idleSlots.removeLast() }
        let slot = slots[index]
        slot.queue.async(group: group) { [self] in
            defer {
                lock.withLock { idleSlots.append(index) }
                idle.signal()
            }
            guard lock.withLock({ failure == nil }) else { return }
            do {
                if slot.engine == nil { slot.engine = try TesseractEngine(language: language, dataPath: dataPath) }
                let page = try slot.engine!.recognize(gray: frame.pixels, width: frame.width, height: frame.height,
                                                      bytesPerRow: frame.bytesPerRow)
                lock.withLock { pages[key] = page }
            } catch {
                lock.withLock { if failure == nil { failure = error } }
            }
        }
    }

    /// Waits for every frame handed in, then returns the pages by key (or the first error).
    func finish() throws -> [Double: OCRPage] {
        group.wait()
        try rethrowFailure()
        return lock.withLock { pages }
    }

    private func rethrowFailure() throws {
        if let error = lock.withLock({ failure }) { throw error }
    }
}
