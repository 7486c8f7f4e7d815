import Foundation
import MediaIO
import ModelAPI

/// Everything a stage may look at for one video.
public struct StageContext: Sendable {
    public var videoPath: String
    public var info: MediaInfo
    /// Outputs of the stages named in `from`, by stage name.
    public var upstream: [String: StageOutput]
    /// The model server named by the stage's `provider:`, if it names one.
    public var provider: (any ModelProvider)?
    /// The stage's name in the pipeline file (for messages).
    public var stageName: String
    /// The pipeline file's directory: relative paths in parameters (few-shot images…) resolve against it.
    public var pipelineDirectory: String

    public init(videoPath: String, info: MediaInfo, upstream: [String: StageOutput], provider: (any ModelProvider)? = nil,
                stageName: String = "", pipelineDirectory: String = FileManager.default.currentDirectoryPath) {
        self.videoPath = videoPath
        self.info = info
        self.upstream = upstream
        self.provider = provider
        self.stageName = stageName
        self.pipelineDirectory = pipelineDirectory
    }

    /// Every upstream output of the given kind, in stage-name order.
    public func inputs(_ kind: DataKind) -> [StageOutput] {
        upstream.keys.sorted().compactMap { self.upstream[$0] }.filter { $0.kind == kind }
    }

    /// The stage's provider, or an error that says how to name one.
    public func requireProvider(_ stageType: String) throws -> any ModelProvider {
        guard let provider else {
            throw ParameterError(key: "provider", "\(stageType) needs a model server",
                                 hint: "add `provider: NAME` to stage '\(stageName)' and define NAME under `providers:` (type: openai)")
        }
        return provider
    }

    /// The first upstream output of the given kind (stages declare at most one input per kind).
    public func input(_ kind: DataKind) -> StageOutput? {
        upstream.keys.sorted().lazy.compactMap { self.upstream[$0] }.first { $0.kind == kind }
    }
}
