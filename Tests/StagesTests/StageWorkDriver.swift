import Foundation
import MediaIO
@testable import Stages

/// Runs one stage on one file the way the scheduler will: probe, plan the work, decode with
/// MediaIO's passes into the stage's sink, finish.
enum StageWorkDriver {
    struct Outcome {
        var output: StageOutput?
        var skipReason: String?
    }

    static func run<S: StageType>(_ stage: S.Type, _ parameters: S.Parameters = .init(), path: String,
                                  upstream: [String: StageOutput] = [:]) throws -> Outcome {
        try parameters.validate()
        let info = try MediaProbe.probe(path: path)
        let context = StageContext(videoPath: path, info: info, upstream: upstream)
        switch try S.work(parameters: parameters, context: context) {
        case .video(let request, let sink):
            _ = try VideoPass(path: path).run([request]) { _, frame in try sink.consume(frame) }
            return Outcome(output: try sink.finish())
        case .audio(let sink):
            _ = try AudioPass(path: path).run { chunk in try sink.consume(chunk) }
            return Outcome(output: try sink.finish())
        case .compute(let body):
            return Outcome(output: try body())
        case .skip(let reason):
            return Outcome(skipReason: reason)
        }
    }
}
