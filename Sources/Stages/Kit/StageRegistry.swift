/// The built-in stage types. Adding a stage type is one file in Sources/Stages plus one line here.
public enum StageRegistry {
    public static let builtin: [any StageType.Type] = [
        FramesSample.self,
        ShotsDetect.self,
        FramesKeyframes.self,
        AudioSegments.self,
        TextOCR.self,
        SpeechTranscribe.self,
        SpeechSegments.self,
        CaptionsExport.self,
        CaptionsTranslate.self,
        FramesCaption.self,
        TimelineFuse.self,
        ReasonLLM.self,
        ReasonShot.self,
        EmbedText.self,
        EmbedFrames.self,
    ]

    /// The stage type registered under `name` (as written after `use:`), if any.
    public static func type(named name: String) -> (any StageType.Type)? {
        builtin.first { $0.name == name }
    }
}
