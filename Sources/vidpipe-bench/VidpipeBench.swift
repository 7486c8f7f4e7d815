import ArgumentParser
import Foundation
import MediaIO
import Stages

/// The vidpipe side of `make bench`: each subcommand does one measured piece of work through the same
/// MediaIO / Stages code the pipeline runs, and prints one JSON object on stdout (counts, cut times and
/// the in-process elapsed seconds) so the harness can check the work and compare it with the peer's.
@main
struct VidpipeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vidpipe-bench",
        abstract: "Benchmark workloads for scripts/bench/run.py (decode, sampling, keyframes, shot detection).",
        subcommands: [Decode.self, Sample.self, Keyframes.self, Shots.self]
    )
}

/// Input and output size shared by the frame workloads.
struct FrameOptions: ParsableArguments {
    @Argument(help: "The video file.")
    var input: String

    @Option(name: .long, help: ArgumentHelp("Exact output size, like ffmpeg's scale=W:H.", valueName: "WxH"))
    var size: String = "224x224"

    func validate() throws {
        guard parsedSize != nil else { throw ValidationError("--size must look like 224x224, got '\(size)'") }
    }

    var parsedSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return nil }
        return (parts[0], parts[1])
    }

    func request(_ policy: SamplingPolicy, snap: Bool = false) -> FrameRequest {
        let (w, h) = parsedSize!
        return FrameRequest(policy: policy, maxWidth: w, maxHeight: h, layout: .rgb24, snapToKeyframe: snap,
                            exactSize: true)
    }
}

/// Runs one pass on the calling (main) thread — a plain process thread, not Swift's cooperative pool —
/// and prints the JSON summary. `times` lists the delivered frames' times when asked.
func runPass(_ path: String, _ request: FrameRequest, printTimes: Bool) throws {
    let started = Date()
    let pass = try VideoPass(path: path)
    var delivered = 0
    var checksum: UInt64 = 0
    var times: [Double] = []
    let report = try pass.run([request]) { _, frame in
        delivered += 1
        // Touch the pixels so the work cannot be skipped; a cheap sample of bytes is enough.
        frame.pixels.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count { checksum &+= UInt64(p[i]); i += 4099 }
        }
        if printTimes { times.append((frame.time * 1000).rounded() / 1000) }
    }
    let elapsed = Date().timeIntervalSince(started)
    var out: [String: Any] = ["frames": delivered, "decoded": report.decodedFrames, "seeks": report.seeks,
                              "elapsed_s": elapsed, "checksum": checksum]
    if printTimes { out["times"] = times }
    printJSON(out)
}

func printJSON(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

struct Decode: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode every frame and scale it to --size RGB24.")
    @OptionGroup var frames: FrameOptions

    func run() throws {
        try runPass(frames.input, frames.request(.everyFrame), printTimes: false)
    }
}

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One frame every --every seconds at exact times (or snapped to keyframes).")
    @OptionGroup var frames: FrameOptions

    @Option(name: .long, help: "Seconds between samples, from 0.")
    var every: Double = 10

    @Option(name: .long, help: "exact | keyframe")
    var snap: String = "exact"

    func validate() throws {
        guard every > 0 else { throw ValidationError("--every must be positive") }
        guard ["exact", "keyframe"].contains(snap) else { throw ValidationError("--snap must be exact or keyframe") }
    }

    func run() throws {
        try runPass(frames.input, frames.request(.interval(seconds: every), snap: snap == "keyframe"), printTimes: true)
    }
}

struct Keyframes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Decode only the keyframes, scaled to --size RGB24.")
    @OptionGroup var frames: FrameOptions

    func run() throws {
        try runPass(frames.input, frames.request(.keyframesOnly), printTimes: true)
    }
}

struct Shots: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the shots.detect stage on one video and print its cut times (seconds) as JSON.")

    @Argument(help: "The video file.")
    var input: String

    @Option(name: .long, help: "content | adaptive")
    var detector: String = "content"

    @Option(name: .long, help: "shots.detect min_length in seconds.")
    var minLength: Double = 1

    @Option(name: .long, help: "shots.detect analysis_filter: area | bilinear")
    var filter: String = "area"

    func validate() throws {
        guard ShotDetector.Mode(rawValue: detector) != nil else {
            throw ValidationError("--detector must be content or adaptive")
        }
        guard ScalingFilter(rawValue: filter) != nil else { throw ValidationError("--filter must be area or bilinear") }
    }

    func run() throws {
        let started = Date()
        var parameters = ShotsDetect.Parameters()
        parameters.mode = ShotDetector.Mode(rawValue: detector)!
        parameters.minLength = Seconds(minLength)
        parameters.analysisFilter = ScalingFilter(rawValue: filter)!
        try parameters.validate()
        let outcome = try StageDriver.run(ShotsDetect.self, parameters, path: input)
        guard case .shots(let shots)? = outcome.output else {
            throw ValidationError("\(input): shots.detect has nothing to do (\(outcome.skipReason ?? "no shots"))")
        }
        let cuts = shots.dropFirst().map { ($0.start * 1000).rounded() / 1000 }
        printJSON(["cuts": cuts, "decoded": outcome.decodedFrames ?? 0, "fps": outcome.info?.fps ?? 0,
                   "elapsed_s": Date().timeIntervalSince(started)])
    }
}
