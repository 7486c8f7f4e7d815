import Foundation

/// Where the files a stage's parameters name (few-shot example images…) are looked for while a pipeline
/// is validated: the pipeline file's directory. `PipelineGraph.load(path:)` sets it around the load
/// (`PipelineFiles.$directory.withValue(dir) { … }`), so `validate()` can say "cannot read
/// examples/a.jpg" at the parameter's line before any video is decoded; unset, those checks wait for
/// the stage's work (`StageContext.pipelineDirectory`).
public enum PipelineFiles {
    @TaskLocal public static var directory: String?

    /// `path` as written in the pipeline file, resolved against `directory` (absolute paths stay).
    public static func resolve(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).standardizedFileURL.path
    }
}
