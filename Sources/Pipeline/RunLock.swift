import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (flock) on `STORE.lock`, held for the whole run. The kernel releases
/// it when the process exits, even on kill -9, so a crashed run never blocks the next one.
public final class RunLock {
    public let path: String
    private let descriptor: Int32

    public struct Busy: Error, CustomStringConvertible {
        public var store: String
        public var holder: String
        public var description: String {
            "another vidpipe run is using \(store)\(holder.isEmpty ? "" : " (\(holder))"); it will not be processed twice. "
                + "Wait for it to finish, or run with another --db."
        }
    }

    /// Locks `STORE.lock` next to the store's real file: `--db link.sqlite` and `--db db.sqlite` naming
    /// the same file take the same lock.
    public struct CannotLock: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String {
            "cannot create the run's lock file \(path): \(reason); a run writes next to its store, so its folder must be writable"
        }
    }

    public init(store: String) throws {
        path = Self.resolved(store) + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CannotLock(path: path, reason: String(cString: strerror(errno)).lowercased())
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            throw Busy(store: store, holder: holder)
        }
        descriptor = fd
        let note = "pid \(getpid()) since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { write(fd, $0, strlen($0)) }
    }

    /// The path with every symlink resolved (for a store not created yet: its folder's real path).
    static func resolved(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().path }
        return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
    }

    deinit {
        _ = ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
