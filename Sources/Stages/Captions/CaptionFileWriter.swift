import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a video's caption files into one directory, atomically, without replacing a file that
/// vidpipe did not write.
///
/// Names: `<base>.vtt` / `<base>.srt` (e.g. `movie.vtt` next to `movie.mp4`, the names players
/// load on their own). When that name is taken by a file vidpipe did not write, the file goes to
/// `<base>.vidpipe.vtt` / `<base>.vidpipe.srt` instead; when that one is taken by a foreign file
/// too, writing fails and nothing is replaced.
///
/// How vidpipe knows a file is its own:
/// - WebVTT: the file carries vidpipe's `NOTE` block (`ownershipNote`) before its first cue.
///   Deleting that note makes the file the user's.
/// - SRT has no comments, so vidpipe keeps a record next to it, `.<name>.vidpipe` (e.g.
///   `.movie.srt.vidpipe`), holding a hash of the bytes it wrote. The SRT is vidpipe's only while
///   its bytes still match that hash: an SRT the user edited is theirs and is kept.
///
/// Each file is written to a temporary file in the same directory, flushed to disk, then renamed
/// over the target, so a reader sees the old file or the new one, never half of one.
struct CaptionFileWriter: Sendable {
    /// The `NOTE` text that marks a WebVTT file as vidpipe's.
    static let ownershipNote = "written by vidpipe captions.export, which replaces this file on every run; delete this note to keep your edits"

    var directory: URL
    var baseName: String

    /// Writes `cues` in `format`; returns the path written.
    @discardableResult
    func write(_ cues: [SubtitleCue], format: SubtitleFormat) throws -> String {
        let content = format.render(cues, note: format == .vtt ? Self.ownershipNote : nil)
        let target = try targetPath(format: format)
        let bytes = Array(content.utf8)
        try Self.writeAtomically(bytes, to: target)
        if format == .srt {
            let record = "fnv1a64 " + Self.hashHex(bytes) + "\n"
            try Self.writeAtomically(Array(record.utf8), to: Self.recordPath(for: target))
        }
        return target
    }

    /// The preferred name if it is free or vidpipe's, else the `.vidpipe.` name if that is.
    func targetPath(format: SubtitleFormat) throws -> String {
        let candidates = ["\(baseName).\(format.fileExtension)", "\(baseName).vidpipe.\(format.fileExtension)"]
            .map { directory.appendingPathComponent($0).path }
        for path in candidates where !FileManager.default.fileExists(atPath: path) || Self.isVidpipeFile(path, format: format) {
            return path
        }
        throw CaptionExportError(
            path: candidates[1],
            message: "not replacing \(candidates[0]) or \(candidates[1]): vidpipe did not write them; "
                + "move one away or set out_dir to another directory")
    }

    /// Whether the file at `path` is one vidpipe wrote (see the type's documentation).
    static func isVidpipeFile(_ path: String, format: SubtitleFormat) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        switch format {
        case .vtt:
            let text = String(decoding: data.prefix(8192), as: UTF8.self)
            let header = text.components(separatedBy: "-->").first ?? ""
            return text.hasPrefix("WEBVTT") || text.hasPrefix("\u{FEFF}WEBVTT")
                ? header.contains("NOTE " + ownershipNote) : false
        case .srt:
            guard let record = FileManager.default.contents(atPath: recordPath(for: path)) else { return false }
            let recorded = String(decoding: record, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return recorded == "fnv1a64 " + hashHex(Array(data))
        }
    }

    /// `.<name>.vidpipe` in the same directory as `path`.
    static func recordPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".vidpipe").path
    }

    /// FNV-1a, 64 bits, as 16 hex digits: enough to notice that a file changed (not a security check).
    static func hashHex(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Writes to a temporary file next to `path`, fsyncs it, renames it over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString.prefix(8))").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(temporary, "cannot create a temporary file") }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                written += n
            }
            return fsync(fd) == 0
        }
        let writeErrno = errno
        close(fd)
        guard ok else {
            unlink(temporary)
            errno = writeErrno
            throw failure(temporary, "cannot write the temporary file")
        }
        guard rename(temporary, path) == 0 else {
            let error = failure(path, "cannot rename \(temporary) over it")
            unlink(temporary)
            throw error
        }
    }

    private static func failure(_ path: String, _ what: String) -> CaptionExportError {
        CaptionExportError(path: path, message: "\(what): \(String(cString: strerror(errno)))")
    }
}
