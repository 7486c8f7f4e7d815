import Foundation
import MediaIO

/// Runs one stage over one file the way the scheduler does, without a store: probe, plan the work,
/// decode with MediaIO's passes into the stage's sink (or compute), then write its sidecar files.
/// What the stage tests and `vidpipe-bench` drive stages with.
public enum StageDriver {
    public struct Outcome: Sendable {
        /// Nil when the stage skipped this file.
        public var output: StageOutput?
        public var skipReason: String?
        /// The sink's note (audio sinks), as the scheduler would store it.
        public var note: String?
        /// Frames the video pass decoded (video stages).
        public var decodedFrames: Int?
        public var info: MediaInfo?
    }

    public static func run<S: StageType>(_ stage: S.Type, _ parameters: S.Parameters = .init(), path: String,
                                         upstream: [String: StageOutput] = [:]) throws -> Outcome {
        try parameters.validate()
        let info = try MediaProbe.probe(path: path)
        let context = StageContext(videoPath: path, info: info, upstream: upstream)
        let outcome: Outcome
        switch try S.work(parameters: parameters, context: context) {
        case .video(let request, let sink):
            let report = try VideoPass(path: path).run([request]) { _, frame in try sink.consume(frame) }
            outcome = Outcome(output: try sink.finish(), decodedFrames: report.decodedFrames, info: info)
        case .audio(let sink):
            _ = try AudioPass(path: path).run { chunk in try sink.consume(chunk) }
            let output = try sink.finish()
            outcome = Outcome(output: output, note: sink.note, info: info)
        case .compute(let body):
            outcome = Outcome(output: try body(), info: info)
        case .computeWithNote(let body):
            let (output, note) = try body()
            outcome = Outcome(output: output, note: note, info: info)
        case .skip(let reason):
            return Outcome(skipReason: reason, info: info)
        }
        if let output = outcome.output {
            for sidecar in S.sidecars(parameters: parameters, context: context, output: output) { try sidecar.write() }
        }
        return outcome
    }
}
