import Foundation

/// A file the scan found, with what the fingerprint cache needs.
public struct InputFile: Sendable, Equatable {
    public var path: String
    public var sizeBytes: Int64
    public var mtimeNs: Int64
    /// Named explicitly on the command line or in `inputs:` (always tried, whatever its extension).
    public var explicit: Bool
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

    /// Returns files sorted by path, each once; inputs that match nothing are returned as problems.
    public func scan(_ inputs: [String]) -> (files: [InputFile], problems: [Problem]) {
        var found: [String: InputFile] = [:]
        var problems: [Problem] = []
        for input in inputs {
            let absolute = input.hasPrefix("/") ? input : (baseDirectory as NSString).appendingPathComponent(input)
            let before = found.count
            if input.contains(where: { "*?[{".contains($0) }) {
                for path in expandGlob(absolute) where !found.keys.contains(path) {
                    if let f = stat(path, explicit: false) { found[path] = f }
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
                for file in walk(path) where found[file] == nil {
                    if let f = stat(file, explicit: false) { found[file] = f }
                }
            } else if let f = stat(path, explicit: true) {
                found[path] = f
            }
        }
        return (found.values.sorted { $0.path < $1.path }, problems)
    }

    func isMedia(_ path: String) -> Bool {
        let name = (path as NSString).lastPathComponent
        return !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension.lowercased())
    }

    private func walk(_ directory: String) -> [String] {
        let url = URL(fileURLWithPath: directory)
        guard let enumerator = FileManager.default.enumerator(
            at: url, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        var out: [String] = []
        for case let file as URL in enumerator {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = file.standardizedFileURL.path
            if isMedia(path) { out.append(path) }
        }
        return out
    }

    private func stat(_ path: String, explicit: Bool) -> InputFile? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return InputFile(path: path, sizeBytes: size, mtimeNs: Int64(mtime * 1_000_000_000), explicit: explicit)
    }

    // MARK: - globbing

    /// Expands `{a,b}` alternatives, then matches path components, `**` spanning any number of folders.
    func expandGlob(_ pattern: String) -> [String] {
        var results = Set<String>()
        for alternative in GlobPattern.expandBraces(pattern) {
            let components = alternative.split(separator: "/").map(String.init)
            match(components[...], in: "/", into: &results)
        }
        return results.sorted()
    }

    private func match(_ components: ArraySlice<String>, in directory: String, into results: inout Set<String>) {
        guard let head = components.first else { return }
        let rest = components.dropFirst()
        let fm = FileManager.default
        if head == "**" {
            match(rest, in: directory, into: &results)  // zero folders
            // Real folders only, as a directory scan: a symlinked folder (`ln -s . self`, `ln -s .. up`)
            // would loop forever or find the same file under endless names.
            for child in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where !child.hasPrefix(".") {
                let path = (directory as NSString).appendingPathComponent(child)
                if (try? fm.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeDirectory {
                    match(components, in: path, into: &results)
                }
            }
            return
        }
        let candidates: [String]
        if head.contains(where: { "*?[".contains($0) }) {
            let children = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            candidates = children.filter { !$0.hasPrefix(".") && GlobPattern.matches($0, pattern: head) }
        } else {
            candidates = [head]
        }
        for name in candidates {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            if rest.isEmpty {
                if !isDir.boolValue { results.insert(path) }
            } else if isDir.boolValue {
                match(rest, in: path, into: &results)
            }
        }
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
