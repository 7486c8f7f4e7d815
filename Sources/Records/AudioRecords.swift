public enum AudioSegmentKind: String, Sendable, Codable {
    case speech, silence
}

/// A speech or silence span of the audio track.
public struct AudioSegment: StageRecord {
    public static let kind = DataKind.audioSegments
    public static let table = "audio_segments"
    public var kind: AudioSegmentKind
    public var start: Double
    public var end: Double
    /// Mean loudness of the segment in dBFS (RMS over the segment; -120 for digital silence).
    public var loudnessDB: Double
    public init(kind: AudioSegmentKind, start: Double, end: Double, loudnessDB: Double) {
        self.kind = kind
        self.start = start
        self.end = end
        self.loudnessDB = loudnessDB
    }
}

/// A word with its time, where the engine gives word timings.
public struct WordTiming: Sendable, Equatable, Codable {
    public var word: String
    public var start: Double
    public var end: Double
    /// 0...1 where the engine gives one.
    public var confidence: Double?
    public init(word: String, start: Double, end: Double, confidence: Double? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }
}

/// A stretch of recognised speech, in media time.
public struct TranscriptSegment: StageRecord {
    public static let kind = DataKind.transcript
    public static let table = "transcript_segments"
    public var start: Double
    public var end: Double
    public var text: String
    /// 0...1; nil when the engine gives none.
    public var confidence: Double?
    public var words: [WordTiming]
    /// The spoken language (ISO 639-1, e.g. "en") where the engine gives or was told one.
    public var language: String?
    public init(start: Double, end: Double, text: String, confidence: Double?, words: [WordTiming] = [],
                language: String? = nil) {
        self.start = start
        self.end = end
        self.text = text
        self.confidence = confidence
        self.words = words
        self.language = language
    }
}

/// One caption cue: at most two lines, on screen from start to end.
public struct SubtitleCue: StageRecord {
    public static let kind = DataKind.subtitles
    public static let table = "subtitle_cues"
    public var index: Int
    public var start: Double
    public var end: Double
    public var lines: [String]
    /// Nil for the video's own cues (as transcribed); a language code such as `de` for a translation
    /// (`captions.translate`).
    public var language: String?
    public init(index: Int, start: Double, end: Double, lines: [String], language: String? = nil) {
        self.index = index
        self.start = start
        self.end = end
        self.lines = lines
        self.language = language
    }
}
