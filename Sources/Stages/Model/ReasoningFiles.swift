import Foundation
import ModelAPI

/// The JSON sidecars of `reason.llm`'s summary and tags tasks: `NAME.summary.json` and
/// `NAME.tags.json` next to the video (or in `out_dir`), written once the items are stored.
/// One file per task, since each task is its own stage (two stages writing one shared file would
/// race and drop each other's part).
///
/// - `NAME.summary.json`: `{"summary": "…", "start_s": 0, "end_s": 62.5, "model": "…", "vidpipe": {…}}`
/// - `NAME.tags.json`: `{"tags": ["…", …], "model": "…", "vidpipe": {…}}`
///
/// They follow the caption files' rules (`CaptionFileWriter`): written atomically, never over a
/// file vidpipe did not write. The `vidpipe` member marks a file as vidpipe's and names the video
/// (`{"note": …, "source": "<video path, percent-encoded>"}`); remove it to keep your edits.
enum ReasoningFiles {
    /// The sidecar for the task's items; none for tasks written otherwise (chapters) or not at all.
    static func sidecars(task: ReasoningTask, outDir: String, context: StageContext, output: StageOutput) -> [Sidecar] {
        guard task == .summary || task == .tags, case .reasoning(let items) = output, let item = items.first(where: { $0.task == task })
        else { return [] }
        let directory = CaptionsExport.outputDirectory(outDir: outDir, videoPath: context.videoPath)
        let videoPath = context.videoPath
        let document = Self.document(task: task, item: item)
        return [Sidecar("\(task.rawValue) file in \(directory.path)") {
            let base = URL(fileURLWithPath: videoPath).deletingPathExtension().lastPathComponent
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                throw CaptionExportError(path: directory.path, message: "cannot create the output directory: \(error.localizedDescription)")
            }
            try JSONSidecarWriter(directory: directory, baseName: base + "." + task.rawValue, source: videoPath).write(document)
        }]
    }

    /// The file's members, without the `vidpipe` mark.
    static func document(task: ReasoningTask, item: ReasoningItem) -> [String: JSONValue] {
        var document: [String: JSONValue] = ["model": .string(item.model)]
        switch task {
        case .tags:
            let tags = item.json.flatMap(JSONValue.parse)?.arrayValue?.compactMap(\.stringValue)
                ?? item.text.components(separatedBy: ", ").filter { !$0.isEmpty }
            document["tags"] = .array(tags.map(JSONValue.string))
        default:
            document[task.rawValue] = .string(item.text)
            if let start = item.start { document["start_s"] = .number(start) }
            if let end = item.end { document["end_s"] = .number(end) }
        }
        return document
    }
}

/// Writes one JSON document for a video with `CaptionFileWriter`'s names and ownership rules; the
/// document's `vidpipe` member says vidpipe wrote it, and for which video.
struct JSONSidecarWriter: Sendable {
    static let ownershipNote = "written by vidpipe, which replaces this file on every run; delete this member to keep your edits"

    var files: CaptionFileWriter

    init(directory: URL, baseName: String, source: String) {
        files = CaptionFileWriter(directory: directory, baseName: baseName, source: source)
    }

    /// Writes `document` plus the `vidpipe` member, pretty-printed with sorted keys; returns the path written.
    @discardableResult
    func write(_ document: [String: JSONValue]) throws -> String {
        var document = document
        document["vidpipe"] = .object(["note": .string(Self.ownershipNote), "source": .string(files.encodedSource)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let bytes = Array(try encoder.encode(JSONValue.object(document))) + Array("\n".utf8)
        let target = try files.targetPath(fileExtension: "json", owner: owner)
        try CaptionFileWriter.writeAtomically(bytes, to: target)
        return target
    }

    /// Who wrote the file at `path`: vidpipe when it is JSON with the `vidpipe` member.
    func owner(_ path: String) -> CaptionFileWriter.Owner {
        guard let data = FileManager.default.contents(atPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? .user : .nobody
        }
        guard let mark = JSONValue.parse(String(decoding: data, as: UTF8.self))?["vidpipe"],
              mark["note"]?.stringValue == Self.ownershipNote else { return .user }
        guard let source = mark["source"]?.stringValue else { return .this }
        return source == files.encodedSource ? .this : .otherVideo
    }
}
