import MediaIO
import TesseractOCR
import Workers

/// Reads gray frames with `workers` Tesseract engines in parallel on a `WorkerPool`: one engine per
/// lane, created by the lane's first job and used by one job at a time (Tesseract blocks for a long
/// time; it never runs on Swift concurrency's pool). Each page is read inside the process's
/// `CPUBudget`, so OCR workers of every video in flight share the machine's cores. At most one frame
/// per engine is in flight, so `read` blocks the caller (the stage's sink queue) while every engine is
/// busy, which holds back the decoder.
final class OCRWorkerPool: Sendable {
    private let language: String
    private let dataPath: String?
    private let pool: WorkerPool
    /// The engine of each lane; its lock is never contended (a lane runs one job at a time).
    private let engines: [Locked<TesseractEngine?>]
    private let pages = Locked<[Double: OCRPage]>([:])

    init(workers: Int, language: String, dataPath: String?) {
        self.language = language
        self.dataPath = dataPath
        pool = WorkerPool(label: "vidpipe.ocr.tesseract", width: workers)
        engines = (0..<pool.width).map { _ in Locked(nil) }
    }

    /// Hands the frame (gray8) to an idle engine; its page is stored under `key`. Throws the first
    /// error an engine raised, so the stage stops early.
    func read(_ frame: VideoFrame, key: Double) throws {
        try pool.submit { [self] lane in
            let page = try engines[lane].withLock { engine in
                if engine == nil { engine = try TesseractEngine(language: language, dataPath: dataPath) }
                let reader = engine!
                return try CPUBudget.shared.run {
                    try reader.recognize(gray: frame.pixels, width: frame.width, height: frame.height,
                                         bytesPerRow: frame.bytesPerRow)
                }
            }
            pages.withLock { $0[key] = page }
        }
    }

    /// Waits for every frame handed in, then returns the pages by key (or the first error).
    func finish() throws -> [Double: OCRPage] {
        try pool.finish()
        return pages.current
    }
}
