import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file the scan found, with what the fingerprint cache needs.
public struct InputFile: Sendable, Equatable {
    public var path: String
    public var sizeBytes: Int64
    public var mtimeNs: Int64
    /// Named explicitly on the command line or in `inputs:` (always tried, whatever its extension).
    public var explicit: Bool
    /// The path below the input it was found from (a folder, or a glob's fixed leading folders; a
    /// file named alone is its own name): the same on every machine, however the archive is mounted.
    public var relativePath: String

    public init(path: String, sizeBytes: Int64, mtimeNs: Int64, explicit: Bool, relativePath: String? = nil) {
        self.path = path
        self.sizeBytes = sizeBytes
        self.mtimeNs = mtimeNs
        self.explicit = explicit
        self.relativePath = relativePath ?? (path as NSString).lastPathComponent
    }
}

/// Expands files, directories (recursively) and glob patterns (`*`, `?`, `**`, `{a,b}`) into media files.
/// A directory scan takes files whose extension is in `extensions` and passes over hidden files and folders.
public struct InputScanner: Sendable {
    public var extensions: Set<String>
    public var baseDirectory: String

    public init(extensions: [String], baseDirectory: String) {
        self.extensions = Set(extensions.map { $0.lowercased() })
        self.baseDirectory = baseDirectory
    }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public var input: String
        public var description: String { "input '\(input)' matches no file or directory" }
    }

    /// A folder the scan could not list (permission denied, I/O error): its files were not processed.
    public struct UnlistedFolder: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot list the folder \(path): \(reason); its files were not processed" }
    }

    public struct Result: Sendable {
        /// Sorted by path, each once.
        public var files: [InputFile]
        /// Inputs that match nothing.
        public var problems: [Problem]
        /// Folders that could not be listed, sorted by path, each once.
        public var unlisted: [UnlistedFolder]
    }

    public func scan(_ inputs: [String]) -> Result {
        var found: [String: InputFile] = [:]
        var problems: [Problem] = []
        var lister = Lister()
        for input in inputs {
            let absolute = input.hasPrefix("/") ? input : (baseDirectory as NSString).appendingPathComponent(input)
            let before = found.count
            if input.contains(where: { "*?[{".contains($0) }) {
                let root = Self.fixedFolder(of: absolute)
                for path in expandGlob(absolute, lister: &lister) where !found.keys.contains(path) {
                    if let f = stat(path, explicit: false, root: root) { found[path] = f }
                }
                if found.count == before { problems.append(Problem(input: input)) }
                continue
            }
            var isDirectory: ObjCBool = false
            let path = URL(fileURLWithPath: absolute).standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append(Problem(input: input))
                continue
            }
            if isDirectory.boolValue {
                for file in walk(path, lister: &lister) where found[file] == nil {
                    if let f = stat(file, explicit: false, root: path) { found[file] = f }
                }
            } else if let f = stat(path, explicit: true, root: (path as NSString).deletingLastPathComponent) {
                found[path] = f
            }
        }
        let unlisted = lister.failures.map { UnlistedFolder(path: $0.key, reason: $0.value) }.sorted { $0.path < $1.path }
        return Result(files: found.values.sorted { $0.path < $1.path }, problems: problems, unlisted: unlisted)
    }

    func isMedia(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// Lists folders, remembering the ones that cannot be listed with the system's reason.
    struct Lister {
        var failures: [String: String] = [:]

        mutating func children(of directory: String) -> [String] {
            guard let handle = opendir(directory) else {
                if errno != ENOENT && errno != ENOTDIR { failures[directory] = VideoFingerprint.systemReason(errno) }
                return []
            }
            defer { closedir(handle) }
            var names: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name != "." && name != ".." { names.append(name) }
            }
            return names
        }
    }

    /// What a folder entry is, without following a symlinked folder (it could loop, or repeat files).
    enum Entry { case folder, file, other }

    static func entry(_ path: String) -> Entry { entryOf(path) }

    /// Every media file under `directory` (hidden files and folders passed over), folders entered
    /// only when they are real folders.
    private func walk(_ directory: String, lister: inout Lister) -> [String] {
        var out: [String] = []
        var pending = [directory]
        while let folder = pending.popLast() {
            for name in lister.children(of: folder) where !name.hasPrefix(".") {
                let path = (folder as NSString).appendingPathComponent(name)
                switch Self.entry(path) {
                case .folder: pending.append(path)
                case .file: if isMedia(path) { out.append(path) }
                case .other: break
                }
            }
        }
        return out
    }

    private func stat(_ path: String, explicit: Bool, root: String) -> InputFile? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let relative = path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : (path as NSString).lastPathComponent
        return InputFile(path: path, sizeBytes: size, mtimeNs: Int64(mtime * 1_000_000_000), explicit: explicit,
                         relativePath: relative)
    }

    /// The folders of a glob before its first pattern component: `/a/b/**/*.mp4` → `/a/b`.
    static func fixedFolder(of pattern: String) -> String {
        var fixed: [Substring] = []
        for component in pattern.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
            if component.contains(where: { "*?[{".contains($0) }) { break }
            fixed.append(component)
        }
        let joined = fixed.joined(separator: "/")
        return joined.isEmpty ? "/" : joined
    }

    // MARK: - globbing

    /// The files an absolute glob pattern matches, sorted (what `status 'shards/*.sqlite'` reads).
    public static func files(matching pattern: String) -> [String] {
        InputScanner(extensions: [], baseDirectory: "/").expandGlob(pattern)
    }

    /// Expands `{a,b}` alternatives, then matches path components, `**` spanning any number of folders.
    func expandGlob(_ pattern: String) -> [String] {
        var lister = Lister()
        return expandGlob(pattern, lister: &lister)
    }

    private func expandGlob(_ pattern: String, lister: inout Lister) -> [String] {
        var results = Set<String>()
        for alternative in GlobPattern.expandBraces(pattern) {
            let components = alternative.split(separator: "/").map(String.init)
            match(components[...], in: "/", into: &results, lister: &lister)
        }
        return results.sorted()
    }

    private func match(_ components: ArraySlice<String>, in directory: String, into results: inout Set<String>,
                       lister: inout Lister) {
        guard let head = components.first else { return }
        let rest = components.dropFirst()
        if head == "**" {
            match(rest, in: directory, into: &results, lister: &lister)  // zero folders
            // Real folders only, as a directory scan: a symlinked folder (`ln -s . self`, `ln -s .. up`)
            // would loop forever or find the same file under endless names.
            for child in lister.children(of: directory) where !child.hasPrefix(".") {
                let path = (directory as NSString).appendingPathComponent(child)
                if Self.entry(path) == .folder { match(components, in: path, into: &results, lister: &lister) }
            }
            return
        }
        let candidates: [String]
        if head.contains(where: { "*?[".contains($0) }) {
            candidates = lister.children(of: directory).filter { !$0.hasPrefix(".") && GlobPattern.matches($0, pattern: head) }
        } else {
            candidates = [head]
        }
        for name in candidates {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if rest.isEmpty {
                if !isDir.boolValue { results.insert(path) }
            } else if isDir.boolValue {
                match(rest, in: path, into: &results, lister: &lister)
            }
        }
    }
}

private func entryOf(_ path: String) -> InputScanner.Entry {
    var info = Glibc.stat()
    guard lstat(path, &info) == 0 else { return .other }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: return .folder
    case S_IFREG: return .file
    case S_IFLNK:
        // A symlinked file counts as a file; a symlinked folder is not entered.
        guard stat(path, &info) == 0 else { return .other }
        return info.st_mode & S_IFMT == S_IFREG ? .file : .other
    default: return .other
    }
}

/// Shell-style patterns for one path component.
enum GlobPattern {
    static func expandBraces(_ pattern: String) -> [String] {
        guard let open = pattern.firstIndex(of: "{"),
              let close = pattern[open...].firstIndex(of: "}") else { return [pattern] }
        let prefix = pattern[..<open], suffix = pattern[pattern.index(after: close)...]
        let options = pattern[pattern.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
        return options.flatMap { expandBraces(String(prefix) + $0 + String(suffix)) }
    }

    static func matches(_ name: String, pattern: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
