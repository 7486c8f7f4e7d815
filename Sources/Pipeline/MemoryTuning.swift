#if canImport(Glibc)
// <malloc.h>'s tuning calls are not in Swift's Glibc module; declare the two used here.
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
@_silgen_name("malloc_trim") private func glibcMallocTrim(_ pad: Int) -> Int32
/// M_ARENA_MAX from <malloc.h>.
private let mArenaMax: Int32 = -8
#endif

/// glibc's allocator gives each thread that allocates its own arena (up to 8 per core), and frees
/// back to the system only from the top of the heap. A run's many Dispatch threads (decode, sinks,
/// OCR and speech workers, one set per video) then leave a high-water mark that grows from video to
/// video (measured: peak RSS 266 → 521 MB over 1 → 4 clips of the archive pipeline). Two arenas and a
/// trim after each video keep the peak at what one video needs.
public enum MemoryTuning {
    /// Call once, first thing in `main`, before any thread starts.
    public static func limitArenas(_ count: Int32 = 2) {
        #if canImport(Glibc)
        _ = glibcMallopt(mArenaMax, count)
        #endif
    }

    /// Returns freed heap memory to the system (after a video).
    public static func releaseFreedMemory() {
        #if canImport(Glibc)
        _ = glibcMallocTrim(0)
        #endif
    }
}
