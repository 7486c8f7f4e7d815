import Foundation
import ModelAPI

/// One shot's frames, in time order: what `frames.caption` (`per: shot`) and `reason.shot` send in one
/// request, each image after its time ("Frame at 12.4 s:"), the way Flamingo interleaves images and text.
struct ShotFrames: Sendable {
    var index: Int
    var start: Double
    var end: Double
    /// Every frame of the shot that the upstream stage gave, in time order.
    var frames: [SampledFrame]

    /// Groups frames by shot. With shots: a frame tagged with a shot's index (frames.keyframes) goes to that
    /// shot, an untagged one (frames.sample) to the shot whose [start, end) holds its time; every shot is
    /// listed, with or without frames. Without shots the frames' own tags decide, a shot spans its first to
    /// its last frame, and an untagged frame is an error (nothing says which shot it belongs to).
    static func group(_ frames: [SampledFrame], shots: [ShotSpan]?, stage: String) throws -> [ShotFrames] {
        let ordered = frames.sorted { $0.time < $1.time }
        guard let shots else {
            if let untagged = ordered.first(where: { $0.shotIndex == nil }) {
                throw ParameterError(key: "from", "\(stage) groups frames by shot, but the frame at "
                                        + "\(VideoRecordText.seconds(untagged.time)) s carries no shot",
                                     hint: "read from a frames.keyframes stage, or add a shots.detect stage to `from:`")
            }
            let byShot = Dictionary(grouping: ordered) { $0.shotIndex! }
            return byShot.keys.sorted().map { i in
                let inside = byShot[i]!
                return ShotFrames(index: i, start: inside.first!.time, end: inside.last!.time, frames: inside)
            }
        }
        let spans = shots.sorted { $0.start < $1.start }
        var groups = spans.map { ShotFrames(index: $0.index, start: $0.start, end: $0.end, frames: []) }
        let position = Dictionary(spans.enumerated().map { ($1.index, $0) }) { a, _ in a }
        for frame in ordered {
            if let tag = frame.shotIndex, let i = position[tag] {
                groups[i].frames.append(frame)
            } else if let i = spans.lastIndex(where: { $0.start <= frame.time && frame.time < $0.end })
                        ?? (spans.last.map { frame.time == $0.end } == true ? spans.count - 1 : nil) {
                groups[i].frames.append(frame)
            }
        }
        return groups
    }

    /// At most `limit` of `items`, spread evenly, the first and the last kept; all of them when they fit.
    static func evenly<T>(_ items: [T], limit: Int) -> [T] {
        guard items.count > limit, limit > 0 else { return items }
        if limit == 1 { return [items[items.count / 2]] }
        return (0..<limit).map { k in items[Int((Double(k) * Double(items.count - 1) / Double(limit - 1)).rounded())] }
    }

    /// The frames sent for this shot: at most `limit`, spread evenly over it.
    func sent(limit: Int) -> [SampledFrame] { ShotFrames.evenly(frames, limit: limit) }

    /// "Frame at 12.4 s:", image, "Frame at 14.0 s:", image, …
    static func interleaved(_ images: [(time: Double, jpeg: [UInt8])]) -> [ChatPart] {
        images.flatMap { [ChatPart.text("Frame at \(VideoRecordText.seconds($0.time)) s:"), .jpeg($0.jpeg)] }
    }
}

/// Reads the JPEG files a pipeline names (few-shot example images) with a one-line error for each way
/// one can be wrong.
enum ExampleImage {
    /// The file's bytes; `key` and `label` say which parameter named it ("examples", "examples[2]").
    static func load(_ path: String, directory: String, key: String, label: String) throws(ParameterError) -> [UInt8] {
        let resolved = PipelineFiles.resolve(path, in: directory)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            let exists = FileManager.default.fileExists(atPath: resolved)
            throw ParameterError(key: key, "\(label): \(exists ? "cannot read" : "no such file") \(resolved)",
                                 hint: "image paths are relative to the pipeline file's directory")
        }
        guard data.starts(with: [0xFF, 0xD8, 0xFF]) else {
            throw ParameterError(key: key, "\(label): \(resolved) is not a JPEG file", hint: "convert it, e.g. ffmpeg -i IN -q:v 3 OUT.jpg")
        }
        return [UInt8](data)
    }
}
