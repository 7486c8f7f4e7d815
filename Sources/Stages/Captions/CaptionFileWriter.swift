import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a video's caption files into one directory, atomically, without replacing a file that
/// vidpipe did not write, or one it wrote for another video.
///
/// Names: `<base>.vtt` / `<base>.srt` (e.g. `movie.vtt` next to `movie.mp4`, the names players
/// load on their own). When that name is taken by a file vidpipe did not write, the file goes to
/// `<base>.vidpipe.vtt` / `<base>.vidpipe.srt` instead; when that one is taken by a foreign file
/// too, writing fails and nothing is replaced. When a name holds vidpipe's captions of another
/// video (`movie.mp4` and `movie.mkv` in one folder, or two `movie.mp4` sharing an `out_dir`), the
/// file is named after the whole file name, `movie.mkv.vtt`, and if that is taken too, after the
/// file name and a hash of its path, `movie.mkv.1a2b3c4d.vtt`. Each video keeps its name on later runs.
///
/// How vidpipe knows a file is its own, and whose:
/// - WebVTT: the file carries vidpipe's `NOTE` (`ownershipNote`, then `source: <video>`, the path
///   percent-encoded) before its first cue. Deleting that note makes the file the user's.
/// - SRT has no comments, so vidpipe keeps a record next to it, `.<name>.vidpipe` (e.g.
///   `.movie.srt.vidpipe`), holding a hash of the bytes it wrote and the source. The SRT is
///   vidpipe's only while its bytes still match that hash: an SRT the user edited is theirs and is kept.
/// A file vidpipe wrote before sources were recorded counts as this video's own.
///
/// Each file is written to a temporary file in the same directory, flushed to disk, then renamed
/// over the target, so a reader sees the old file or the new one, never half of one.
struct CaptionFileWriter: Sendable {
    /// The `NOTE` text that marks a WebVTT file as vidpipe's.
    static let ownershipNote = "written by vidpipe captions.export, which replaces this file on every run; delete this note to keep your edits"

    var directory: URL
    var baseName: String
    /// The video the captions belong to.
    var source: String

    /// `baseName` is the video's name without its extension (plus e.g. `.chapters`), `source` its path.
    init(directory: URL, baseName: String, source: String) {
        self.directory = directory
        self.baseName = baseName
        self.source = URL(fileURLWithPath: source).standardizedFileURL.path
    }

    /// Who wrote a file that is in the way.
    enum Owner: Equatable {
        case nobody
        case user
        /// vidpipe, for this video (or before sources were recorded).
        case this
        case otherVideo
    }

    /// The source as the files record it (percent-encoded).
    var encodedSource: String {
        source.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? source
    }

    /// Writes `cues` in `format`; returns the path written.
    @discardableResult
    func write(_ cues: [SubtitleCue], format: SubtitleFormat) throws -> String {
        let note = Self.ownershipNote + " source: " + encodedSource
        let content = format.render(cues, note: format == .vtt ? note : nil)
        let target = try targetPath(format: format)
        let bytes = Array(content.utf8)
        try Self.writeAtomically(bytes, to: target)
        if format == .srt {
            let record = "fnv1a64 " + Self.hashHex(bytes) + "\nsource " + encodedSource + "\n"
            try Self.writeAtomically(Array(record.utf8), to: Self.recordPath(for: target))
        }
        return target
    }

    /// The first name that is free or this video's (see the type's documentation).
    func targetPath(format: SubtitleFormat) throws -> String {
        try targetPath(fileExtension: format.fileExtension) { owner($0, format: format) }
    }

    /// The first name with this extension that is free or this video's, as `owner` tells who wrote
    /// a file (the naming rules of the type's documentation, for any kind of file).
    func targetPath(fileExtension: String, owner: (String) -> Owner) throws -> String {
        func path(_ name: String) -> String { directory.appendingPathComponent("\(name).\(fileExtension)").path }
        let preferred = path(baseName), fallback = path("\(baseName).vidpipe")
        switch owner(preferred) {
        case .nobody, .this: return preferred
        case .otherVideo: break
        case .user:
            switch owner(fallback) {
            case .nobody, .this: return fallback
            case .otherVideo: break
            case .user:
                throw CaptionExportError(
                    path: fallback,
                    message: "not replacing \(preferred) or \(fallback): vidpipe did not write them; "
                        + "move one away or set out_dir to another directory")
            }
        }
        // Another video's captions hold the name: name this video's after its whole file name.
        let fileName = URL(fileURLWithPath: source).lastPathComponent
        let suffix = String(baseName.dropFirst(URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent.count))
        let byFile = path(fileName + suffix), byPath = path(fileName + "." + String(Self.hashHex(Array(source.utf8)).prefix(8)) + suffix)
        for candidate in [byFile, byPath] where [.nobody, .this].contains(owner(candidate)) {
            return candidate
        }
        throw CaptionExportError(path: byPath, message: "not replacing \(byPath): it holds other captions; move it away")
    }

    /// Who wrote the file at `path`.
    func owner(_ path: String, format: SubtitleFormat) -> Owner {
        guard let data = FileManager.default.contents(atPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? .user : .nobody
        }
        let recordedSource: String?
        switch format {
        case .vtt:
            let text = String(decoding: data.prefix(8192), as: UTF8.self)
            let header = text.components(separatedBy: "-->").first ?? ""
            guard text.hasPrefix("WEBVTT") || text.hasPrefix("\u{FEFF}WEBVTT"), header.contains("NOTE " + Self.ownershipNote) else {
                return .user
            }
            let noteLine = header.components(separatedBy: "\n").first { $0.hasPrefix("NOTE " + Self.ownershipNote) } ?? ""
            recordedSource = noteLine.range(of: " source: ").map { String(noteLine[$0.upperBound...]) }
        case .srt:
            guard let record = FileManager.default.contents(atPath: Self.recordPath(for: path)) else { return .user }
            let lines = String(decoding: record, as: UTF8.self).components(separatedBy: "\n")
            guard lines.first?.trimmingCharacters(in: .whitespaces) == "fnv1a64 " + Self.hashHex(Array(data)) else { return .user }
            recordedSource = Self.sourceLine(in: lines.dropFirst().joined(separator: "\n"), prefix: "source ")
        }
        guard let recordedSource else { return .this }
        return recordedSource == encodedSource ? .this : .otherVideo
    }

    private static func sourceLine(in text: String, prefix: String) -> String? {
        text.components(separatedBy: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
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
