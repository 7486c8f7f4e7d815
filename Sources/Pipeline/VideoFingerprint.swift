import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Workers

/// A file's content identity: a SHA-256 of its whole content (with its size), so two files are one
/// video only when every byte is the same. A renamed or moved file keeps its fingerprint.
///
/// The hash reads the whole file once, when a path is new or its size or mtime changed (the store
/// caches the fingerprint by path, size and mtime): about 1.2 s per GiB from the page cache on the
/// machine in docs/benchmarks.md, the disk's read speed otherwise — small next to decoding the same
/// file. Older stores hold `v1-` fingerprints (a hash of eight sampled 64 KiB blocks, which two
/// files differing elsewhere could share); such a row keeps its fingerprint until its file changes.
public enum VideoFingerprint {
    /// Read size: large enough that the syscall count does not matter, small enough to stay in cache.
    static let chunk = 1 << 20

    /// Why a file could not be read, in the words of the system (`permission denied`, `is a directory`).
    public struct Unreadable: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { reason }
    }

    public static func compute(path: String) throws(Unreadable) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Unreadable(path: path, reason: systemReason(errno)) }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        var hasher = SHA256()
        var size: UInt64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        // Hashing is compute: it holds one unit of the run's CPU budget, a chunk at a time.
        while true {
            let n = read(fd, buffer.baseAddress, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw Unreadable(path: path, reason: systemReason(errno))
            }
            if n == 0 { break }
            CPUBudget.shared.run { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
            size += UInt64(n)
        }
        hasher.update(data: Data("size=\(size)\n".utf8))
        return "v2-" + String(size) + "-" + hexString(hasher.finalize()).prefix(40)
    }

    /// `strerror` in lower case, as the rest of vidpipe's messages.
    static func systemReason(_ code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
