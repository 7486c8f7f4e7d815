import Foundation

/// Keeps Tesseract's OpenMP loops on the calling thread. Tesseract asks for 4+ threads per LSTM step;
/// on a 2-core machine already running other work that oversubscribes the CPU: measured here, a
/// 1280x720 frame took ~390 ms with OpenMP threads and ~90 ms without.
///
/// `OMP_THREAD_LIMIT=1` only works when set before the process starts (libgomp reads its environment
/// when it is loaded, which is at launch since libtesseract links it), so it is set for child
/// processes and, in-process, each reading thread turns off nested parallel regions through
/// `omp_set_max_active_levels(0)` (a per-thread setting in libgomp), looked up at run time so a
/// Tesseract built without OpenMP works too.
enum OpenMPThreadLimit {
    private typealias SetMaxActiveLevels = @convention(c) (Int32) -> Void

    /// Sets OMP_THREAD_LIMIT=1 unless the user set it (then theirs wins). Runs once.
    static let environmentSet: Void = {
        setenv("OMP_THREAD_LIMIT", "1", 0)
    }()

    private static let setMaxActiveLevels: SetMaxActiveLevels? = {
        guard let symbol = dlsym(nil /* RTLD_DEFAULT on glibc */, "omp_set_max_active_levels") else {
            return nil
        }
        return unsafeBitCast(symbol, to: SetMaxActiveLevels.self)
    }()

    /// Makes OpenMP parallel regions started from the current thread run on it alone. Cheap; call
    /// before every recognition, since Dispatch may run a queue's blocks on different threads.
    /// VIDPIPE_TESSERACT_OPENMP=1 in the environment leaves OpenMP alone (to measure the difference).
    static func restrictCurrentThread() {
        guard ProcessInfo.processInfo.environment["VIDPIPE_TESSERACT_OPENMP"] != "1" else { return }
        setMaxActiveLevels?(0)
    }
}
