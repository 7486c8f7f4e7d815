import Foundation
import MediaIO
import Testing
import TestSupport
import TesseractOCR
@testable import Stages

/// `text.ocr` end to end (frames.sample upstream, MediaIO decode, Tesseract), its reuse plan and its
/// text cleaning.
@Suite("text.ocr")
struct TextOCRTests {
    static let font = TextFrameFixture.fontFile
    static let opening = "Opening remarks by the director"
    static let meeting = "Annual meeting 2024"
    static let questions = "Questions from the audience"
    static let caption = "Meet the engineers behind the launch"

    /// 0–3 s: two lines on white; 3–5 s: another line on navy; 5–7 s: a boxed caption over testsrc2, below
    /// its checkerboard (a caption running into that texture is lost by vidpipe and the CLI alike).
    static func makeClip(at path: String) throws {
        func draw(_ text: String, size: Int, x: Int, y: Int, color: String, boxed: Bool = false) -> String {
            "drawtext=fontfile=\(font):text='\(text)':fontsize=\(size):fontcolor=\(color):x=\(x):y=\(y)"
                + (boxed ? ":box=1:boxcolor=black@0.6:boxborderw=8" : "")
        }
        let a = "color=c=white:size=1280x720:rate=25,trim=duration=3,"
            + draw(opening, size: 44, x: 100, y: 150, color: "black") + ","
            + draw(meeting, size: 28, x: 100, y: 500, color: "black") + "[a]"
        let b = "color=c=0x1a237e:size=1280x720:rate=25,trim=duration=2,"
            + draw(questions, size: 44, x: 200, y: 300, color: "white") + "[b]"
        let c = "testsrc2=size=1280x720:rate=25,trim=duration=2,drawbox=x=0:y=0:w=200:h=60:color=0x808080:t=fill,"
            + draw(caption, size: 40, x: 80, y: 650, color: "white", boxed: true) + "[c]"
        try ffmpeg(["-f", "lavfi", "-i", "\(a);\(b);\(c);[a][b][c]concat=n=3:v=1:a=0[out0]",
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p"], output: path)
    }

    @Test("on a clip: frames with the same picture reuse the first read, changed text is read, CER within bounds")
    func endToEnd() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("text.mp4")
        try Self.makeClip(at: clip)
        var sample = FramesSample.Parameters()
        sample.every = Seconds(0.5)
        let sampled = try StageDriver.run(FramesSample.self, sample, path: clip).output
        guard case .frames(let stills)? = sampled else {
            Issue.record("no frames from frames.sample")
            return
        }
        #expect(stills.count == 14)
        guard case .ocrText(let texts)? = try StageDriver.run(
            TextOCR.self, path: clip, upstream: ["frames": .frames(stills)]).output else {
            Issue.record("no OCR output")
            return
        }
        #expect(texts.map(\.time) == stills.map(\.time))
        let plainA = texts.filter { $0.time < 3 }, plainB = texts.filter { $0.time >= 3 && $0.time < 5 }
        let busyC = texts.filter { $0.time >= 5 }
        // The first frame of each plain segment is read, the rest of the segment reuses it with the same text.
        #expect(plainA.first?.reusedFrom == nil && plainB.first?.reusedFrom == nil)
        #expect(plainA.dropFirst().allSatisfy { $0.reusedFrom == plainA[0].time && $0.text == plainA[0].text })
        #expect(plainB.dropFirst().allSatisfy { $0.reusedFrom == plainB[0].time && $0.text == plainB[0].text })
        let reused = texts.filter { $0.reusedFrom != nil }.count
        #expect(reused >= 8)
        #expect(StageOutput.ocrText(texts).note == "\(texts.count - reused) frames read, \(reused) reused (perceptual hash match)")

        let cerA = CharacterErrorRate.of(plainA[0].text, reference: Self.opening + " " + Self.meeting)
        let cerB = CharacterErrorRate.of(plainB[0].text, reference: Self.questions)
        let cerC = busyC.map { CharacterErrorRate.of($0.text, reference: Self.caption) }
        print("text.ocr CER: plain \(cerA), \(cerB); busy \(cerC); \(texts.count - reused) read, \(reused) reused")
        #expect(cerA <= 0.05 && cerB <= 0.05)
        // Busy frames: testsrc2's noisy checkerboard can pull Tesseract's automatic layout off the caption
        // on some H.264-coded frames (the CLI fails on the same pixels too); most frames must read it.
        #expect(cerC.filter { $0 <= 0.10 }.count >= 2)
        // One box per line, where the text was drawn (frame decoded at 1280x720).
        #expect(plainA[0].boxes.count == 2)
        if let first = plainA[0].boxes.first {
            #expect(abs(first.x - 100) <= 12 && abs(first.y - 150) <= 16, "\(first)")
            #expect(first.confidence > 0.8)
        }
        #expect(plainA[0].confidence > 0.8)
    }

    @Test("vidpipe (MediaIO decode, text.ocr) is no worse than the tesseract CLI on the same frames, plain and busy")
    func versusCLI() throws {
        let dir = try TemporaryDirectory()
        let frames = (OCRFrameSets.plain + OCRFrameSets.busy).filter { $0.width == 1280 && $0.height == 720 }
        var inputs: [String] = []
        for frame in frames {
            try frame.writePNG(to: dir.path(frame.name + ".png"))
            inputs += ["-loop", "1", "-framerate", "25", "-t", "1", "-i", dir.path(frame.name + ".png")]
        }
        // Each frame shown for 1 s, coded losslessly so the decoder hands text.ocr the PNG's pixels.
        let clip = dir.path("frames.mkv")
        let graph = frames.indices.map { "[\($0):v]" }.joined() + "concat=n=\(frames.count):v=1:a=0,format=yuv444p[v]"
        try ffmpeg(inputs + ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"],
                   output: clip)
        var sample = FramesSample.Parameters()
        sample.policy = .timestamps
        sample.at = frames.indices.map { Double($0) + 0.5 }
        guard case .frames(let stills)? = try StageDriver.run(FramesSample.self, sample, path: clip).output,
              case .ocrText(let texts)? = try StageDriver.run(TextOCR.self, path: clip,
                                                                 upstream: ["frames": .frames(stills)]).output else {
            Issue.record("no frames or no OCR output")
            return
        }
        #expect(texts.count == frames.count && texts.allSatisfy { $0.reusedFrom == nil })
        var errors = (plain: (vidpipe: 0, cli: 0, length: 0), busy: (vidpipe: 0, cli: 0, length: 0))
        for (frame, text) in zip(frames, texts) {
            let cli = try runCommand("tesseract", [dir.path(frame.name + ".png"), "-", "--psm", "3"],
                                     environment: ["OMP_THREAD_LIMIT": "1"])
            let reference = Array(CharacterErrorRate.normalized(frame.reference))
            let ours = CharacterErrorRate.editDistance(Array(CharacterErrorRate.normalized(text.text)), reference)
            let theirs = CharacterErrorRate.editDistance(Array(CharacterErrorRate.normalized(cli)), reference)
            print("text.ocr \(frame.name): vidpipe \(ours) \(text.text.debugDescription), CLI \(theirs), of \(reference.count)")
            if frame.background.hasPrefix("testsrc2") {
                errors.busy.vidpipe += ours; errors.busy.cli += theirs; errors.busy.length += reference.count
            } else {
                errors.plain.vidpipe += ours; errors.plain.cli += theirs; errors.plain.length += reference.count
            }
        }
        func percent(_ n: Int, _ d: Int) -> String { String(format: "%.2f %%", Double(n) * 100 / Double(d)) }
        print("text.ocr CER plain: vidpipe \(percent(errors.plain.vidpipe, errors.plain.length)), CLI \(percent(errors.plain.cli, errors.plain.length)); "
              + "busy: vidpipe \(percent(errors.busy.vidpipe, errors.busy.length)), CLI \(percent(errors.busy.cli, errors.busy.length))")
        #expect(Double(errors.plain.vidpipe) <= 0.02 * Double(errors.plain.length))
        #expect(Double(errors.busy.vidpipe) <= 0.15 * Double(errors.busy.length))
        #expect(errors.plain.vidpipe <= errors.plain.cli)
        #expect(errors.busy.vidpipe <= errors.busy.cli)
    }

    @Test("reuse plan: nearest read frame within the distance; -1 reads everything; later hashes compare to reads only")
    func reusePlan() {
        func frame(_ t: Double, _ hash: UInt64) -> SampledFrame {
            SampledFrame(time: t, shotIndex: nil, phash: hash, width: 1, height: 1, jpeg: [])
        }
        let frames = [frame(0, 0), frame(1, 0b111), frame(2, 0b11111), frame(3, 0xFFFF_0000), frame(4, 0xFFFF_0001),
                      frame(2, 0b11111)]
        let plan = FrameReusePlan(frames: frames, maxDistance: 4)
        // 0b11111 is 5 bits from 0 but 2 bits from 0b111, which was itself reused: it is read.
        #expect(plan.readTimes == [0, 2, 3])
        #expect(plan.entries.map(\.source) == [0, 0, 2, 3, 3])
        #expect(FrameReusePlan(frames: frames, maxDistance: -1).readTimes == [0, 1, 2, 3, 4])
        #expect(plan.readTime(nearest: 2.02) == 2 && plan.readTime(nearest: 9) == 3)
    }

    @Test("cleaning: low-confidence words, punctuation at line ends and punctuation-only lines are dropped")
    func cleaning() {
        let page = OCRPage(words: [
            OCRWord(text: "|", confidence: 0.9, x: 0, y: 0, width: 2, height: 10, line: 0),
            OCRWord(text: "Hello", confidence: 0.95, x: 10, y: 0, width: 40, height: 12, line: 0),
            OCRWord(text: "—", confidence: 0.9, x: 55, y: 0, width: 5, height: 10, line: 0),
            OCRWord(text: "world", confidence: 0.85, x: 65, y: 2, width: 40, height: 12, line: 0),
            OCRWord(text: "Ee", confidence: 0.2, x: 200, y: 0, width: 10, height: 10, line: 0),
            OCRWord(text: "..", confidence: 0.9, x: 0, y: 50, width: 8, height: 4, line: 1),
            OCRWord(text: "2024", confidence: 0.8, x: 5, y: 90, width: 30, height: 12, line: 2),
        ])
        let cleaned = OCRTextCleaner.clean(page, minConfidence: 0.5)
        #expect(cleaned.text == "Hello — world\n2024")
        #expect(cleaned.lines.map(\.text) == ["Hello — world", "2024"])
        #expect(cleaned.lines[0] == TextBox(x: 10, y: 0, width: 95, height: 14, text: "Hello — world",
                                            confidence: (0.95 + 0.9 + 0.85) / 3))
        #expect(abs(cleaned.confidence - (0.95 + 0.9 + 0.85 + 0.8) / 4) < 1e-9)
        #expect(OCRTextCleaner.clean(OCRPage(words: []), minConfidence: 0.5).text.isEmpty)
    }

    @Test("missing language data: the stage fails before decoding, naming the tessdata file and the Debian package")
    func missingLanguage() throws {
        let dir = try TemporaryDirectory()
        let clip = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: clip, seconds: 1, audio: false)
        let frames = StageOutput.frames([SampledFrame(time: 0, shotIndex: nil, phash: 0, width: 1, height: 1, jpeg: [])])
        var p = TextOCR.Parameters()
        p.lang = "eng+zzz"
        #expect {
            _ = try StageDriver.run(TextOCR.self, p, path: clip, upstream: ["frames": frames])
        } throws: { error in
            let text = "\(error)"
            return text.contains("/zzz.traineddata does not exist") && text.contains("tesseract-ocr-zzz")
        }
        p.lang = "eng"
        p.dataPath = dir.path("empty-tessdata")
        #expect {
            _ = try StageDriver.run(TextOCR.self, p, path: clip, upstream: ["frames": frames])
        } throws: { error in
            "\(error)".contains(dir.path("empty-tessdata") + "/eng.traineddata does not exist")
        }
    }

    @Test("parameters: defaults, and values out of range are refused with the key")
    func parameters() throws {
        let defaults = try JSONDecoder().decode(TextOCR.Parameters.self, from: Data("{}".utf8))
        #expect(defaults == TextOCR.Parameters())
        #expect(defaults.maxSize == 1280 && defaults.reuseDistance == 4 && defaults.workers == 1 && defaults.lang == "eng")
        #expect(Set(TextOCR.Parameters.documentation.map(\.name))
                == ["engine", "lang", "data_path", "max_size", "reuse_distance", "min_confidence", "workers"])
        for json in [#"{"lang": "../eng"}"#, #"{"reuse_distance": 65}"#, #"{"min_confidence": 2}"#, #"{"workers": 0}"#] {
            let p = try JSONDecoder().decode(TextOCR.Parameters.self, from: Data(json.utf8))
            #expect(throws: ParameterError.self) { try p.validate() }
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TextOCR.Parameters.self, from: Data(#"{"engine": "easyocr"}"#.utf8))
        }
    }
}
