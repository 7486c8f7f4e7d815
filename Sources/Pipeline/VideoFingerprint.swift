import Crypto
import Foundation

/// A file's content identity: its size plus a SHA-256 of sampled 64 KiB blocks (start, end and
/// evenly spaced in between), so a renamed or moved file keeps its fingerprint and reading a
/// multi-gigabyte file costs a few hundred kilobytes of I/O.
public enum VideoFingerprint {
    public static let blockSize = 64 * 1024
    public static let interiorBlocks = 6

    public static func compute(path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        var hasher = SHA256()
        hasher.update(data: Data("size=\(size)\n".utf8))
        var offsets: [UInt64] = [0]
        if size > UInt64(blockSize) {
            let span = size - UInt64(blockSize)
            for i in 1...interiorBlocks { offsets.append(span * UInt64(i) / UInt64(interiorBlocks + 1)) }
            offsets.append(span)
        }
        for offset in offsets {
            try handle.seek(toOffset: offset)
            if let block = try handle.read(upToCount: blockSize) { hasher.update(data: block) }
        }
        return "v1-" + String(size) + "-" + hexString(hasher.finalize()).prefix(32)
    }
}
