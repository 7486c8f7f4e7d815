import Foundation

/// `timeline.fuse`: late fusion on the shared time axis. One record per shot: its time range, its
/// keyframe, the captions and on-screen text of frames inside it, and the speech overlapping it
/// (clipped to the shot by word timings where the transcript has them).
public struct TimelineFuse: StageType {
    public static let name = "timeline.fuse"
    public static let summary = "Fuse captions, on-screen text and speech into one record per shot (the input of reason.llm)"
    public static let version = 1
    public static let inputKinds: [DataKind] = [.shots, .frames, .captions, .ocrText, .transcript]
    public static let requiredInputKinds: [DataKind] = [.shots]
    public static let outputKind: DataKind = .timeline
    public static let media: MediaNeed = .none

    public struct Parameters: StageParameters {
        /// Speech words are assigned to the shot holding their midpoint; without word timings a
        /// segment goes to every shot it overlaps by at least this much.
        public var minOverlap = Seconds(0.25)

        public init() {}

        public func validate() throws(ParameterError) {
            try check(\.minOverlap, 0...10)
        }

        public static let fields: [ParameterField<Parameters>] = [
            ParameterField("min_overlap", \.minOverlap, "duration",
                           "a transcript segment without word timings joins a shot it overlaps by at least this long "
                              + "(or the shot holding most of it, if it is shorter); with word timings each word goes to "
                              + "the shot holding its midpoint"),
        ]
    }

    public static func work(parameters: Parameters, context: StageContext) throws -> StageWork {
        guard case .shots(let shots)? = context.input(.shots) else {
            throw ParameterError(key: "from", "timeline.fuse needs the shots of an upstream shots.detect stage",
                                 hint: "add a shots.detect stage to `from:`")
        }
        var frames: [SampledFrame] = [], captions: [FrameCaption] = [], ocr: [OCRText] = [], transcript: [TranscriptSegment] = []
        for output in context.upstream.keys.sorted().compactMap({ context.upstream[$0] }) {
            switch output {
            case .frames(let f): frames += f
            case .captions(let c): captions += c
            case .ocrText(let o): ocr += o
            case .transcript(let t): transcript += t
            default: break
            }
        }
        let minOverlap = parameters.minOverlap.value
        let fused = fuse(shots: shots, keyframes: frames, captions: captions, ocr: ocr, transcript: transcript,
                         minOverlap: minOverlap)
        return .compute { .timeline(fused) }
    }

    /// The fusion itself; shots must not overlap (shots.detect guarantees it).
    static func fuse(shots: [ShotSpan], keyframes: [SampledFrame], captions: [FrameCaption], ocr: [OCRText],
                     transcript: [TranscriptSegment], minOverlap: Double) -> [FusedShot] {
        let ordered = shots.sorted { $0.start < $1.start }
        func shotIndex(at time: Double) -> Int? {
            // Half-open [start, end); the last shot also takes its end instant.
            var low = 0, high = ordered.count
            while low < high {
                let mid = (low + high) / 2
                if ordered[mid].end <= time { low = mid + 1 } else { high = mid }
            }
            if low < ordered.count, ordered[low].start <= time { return low }
            if let last = ordered.last, time == last.end { return ordered.count - 1 }
            return nil
        }
        var records = ordered.map {
            FusedShot(index: $0.index, start: $0.start, end: $0.end, keyframe: nil, captions: [], ocr: [], transcript: [])
        }
        // Keyframe: a frame tagged with the shot's index (frames.keyframes), else the frame nearest the shot's middle.
        var framesByShot: [Int: [SampledFrame]] = [:]
        for frame in keyframes {
            if let i = shotIndex(at: frame.time) { framesByShot[i, default: []].append(frame) }
        }
        for (i, shot) in ordered.enumerated() {
            let inside = framesByShot[i] ?? []
            let tagged = inside.first { $0.shotIndex == shot.index }
            let middle = (shot.start + shot.end) / 2
            records[i].keyframe = (tagged ?? inside.min { abs($0.time - middle) < abs($1.time - middle) })?.time
        }
        for caption in captions.sorted(by: { $0.time < $1.time }) where !caption.text.isEmpty {
            if let i = shotIndex(at: caption.time) {
                records[i].captions.append(TimedText(start: caption.time, end: caption.end ?? caption.time, text: caption.text))
            }
        }
        for text in ocr.sorted(by: { $0.time < $1.time }) where !text.text.isEmpty {
            guard let i = shotIndex(at: text.time) else { continue }
            // The same text read again on the next frame of the shot is one line, not two.
            if let last = records[i].ocr.last, last.text == text.text {
                records[i].ocr[records[i].ocr.count - 1].end = text.time
            } else {
                records[i].ocr.append(TimedText(start: text.time, end: text.time, text: text.text))
            }
        }
        for segment in transcript.sorted(by: { $0.start < $1.start }) {
            if !segment.words.isEmpty {
                var byShot: [Int: [WordTiming]] = [:]
                for word in segment.words {
                    if let i = shotIndex(at: (word.start + word.end) / 2) { byShot[i, default: []].append(word) }
                }
                for (i, words) in byShot.sorted(by: { $0.key < $1.key }) {
                    records[i].transcript.append(TimedText(start: words.first!.start, end: words.last!.end,
                                                           text: words.map(\.word).joined(separator: " ")))
                }
                continue
            }
            let overlaps = ordered.indices.map { i in
                (i, min(segment.end, ordered[i].end) - max(segment.start, ordered[i].start))
            }.filter { $0.1 > 0 }
            let chosen = overlaps.filter { $0.1 >= minOverlap }
            let targets = chosen.isEmpty ? overlaps.max { $0.1 < $1.1 }.map { [$0] } ?? [] : chosen
            for (i, _) in targets {
                records[i].transcript.append(TimedText(start: segment.start, end: segment.end, text: segment.text))
            }
        }
        return records
    }
}
