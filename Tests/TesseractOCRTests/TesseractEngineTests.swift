import Foundation
import Testing
import TestSupport
@testable import TesseractOCR

/// The Tesseract wrapper on frames with burned-in text, scored against the drawn text and against
/// the `tesseract` CLI on the same PNGs.
@Suite("Tesseract engine on burned-in text")
struct TesseractEngineTests {
    /// Total edit distance over total reference length, for the engine and for the CLI.
    struct Scores {
        var engineErrors = 0, cliErrors = 0, referenceLength = 0
        var engine: Double { Double(engineErrors) / Double(referenceLength) }
        var cli: Double { Double(cliErrors) / Double(referenceLength) }
    }

    func score(_ frames: [TextFrameFixture], upscale: Bool = true, cli: Bool = true) throws -> Scores {
        let dir = try TemporaryDirectory(prefix: "vidpipe-ocr")
        let engine = try TesseractEngine()
        engine.upscalesSmallImages = upscale
        var scores = Scores()
        for frame in frames {
            let png = dir.path(frame.name + ".png")
            try frame.writePNG(to: png)
            let gray = try TextFrameFixture.grayPixels(ofPNG: png)
            let page = try engine.recognize(gray: gray, width: frame.width, height: frame.height, bytesPerRow: frame.width)
            let cli = cli ? try runCommand("tesseract", [png, "-", "--psm", "3"], environment: ["OMP_THREAD_LIMIT": "1"]) : ""
            let reference = Array(CharacterErrorRate.normalized(frame.reference))
            let engineErrors = CharacterErrorRate.editDistance(Array(CharacterErrorRate.normalized(page.text)), reference)
            let cliErrors = CharacterErrorRate.editDistance(Array(CharacterErrorRate.normalized(cli)), reference)
            print("OCR \(frame.name): vidpipe \(engineErrors)/\(reference.count) \(page.text.debugDescription); "
                  + "CLI \(cliErrors) \(CharacterErrorRate.normalized(cli).debugDescription)")
            scores.engineErrors += engineErrors
            scores.cliErrors += cliErrors
            scores.referenceLength += reference.count
        }
        return scores
    }

    @Test("plain backgrounds: CER at most 2 %, and no worse than the tesseract CLI")
    func plainFrames() throws {
        let scores = try score(OCRFrameSets.plain)
        print(String(format: "OCR CER plain: vidpipe %.2f %%, tesseract CLI %.2f %%", scores.engine * 100, scores.cli * 100))
        #expect(scores.engine <= 0.02)
        #expect(scores.engineErrors <= scores.cliErrors)
    }

    /// The raw engine keeps punctuation specks the stage's cleaning drops; the vidpipe-versus-CLI
    /// comparison on busy frames is in the stage tests (TextOCRTests), through the whole path.
    @Test("busy testsrc2 backgrounds: raw engine CER at most 15 % (white text on yellow is hard for both)")
    func busyFrames() throws {
        let scores = try score(OCRFrameSets.busy)
        print(String(format: "OCR CER busy (raw engine): vidpipe %.2f %%, tesseract CLI %.2f %%", scores.engine * 100, scores.cli * 100))
        #expect(scores.engine <= 0.15)
    }

    @Test("word boxes where the text was drawn; a blank frame reads as no words")
    func boxesAndBlank() throws {
        let dir = try TemporaryDirectory(prefix: "vidpipe-ocr")
        let frame = OCRFrameSets.plain[0]
        let png = dir.path("frame.png")
        try frame.writePNG(to: png)
        let engine = try TesseractEngine()
        let page = try engine.recognize(gray: try TextFrameFixture.grayPixels(ofPNG: png), width: 1280, height: 720, bytesPerRow: 1280)
        #expect(page.words.count == 9 + 6 + 8)
        #expect(Set(page.words.map(\.line)) == [0, 1, 2])
        for (line, drawn) in frame.lines.enumerated() {
            let words = page.words.filter { $0.line == line }
            // drawtext's y is the top of the line box (ascender height), glyph tops sit a little lower.
            #expect(abs((words.first?.x ?? -99) - drawn.x) <= 6, "\(drawn.text): \(String(describing: words.first))")
            #expect(words.allSatisfy { $0.y >= drawn.y - 2 && $0.y <= drawn.y + drawn.fontSize / 2 && $0.confidence > 0.8 })
        }
        let blank = [UInt8](repeating: 200, count: 320 * 240)
        let empty = try engine.recognize(gray: blank, width: 320, height: 240, bytesPerRow: 320)
        #expect(empty.words.isEmpty && empty.text.isEmpty && empty.confidence == 0)
        #expect(throws: TesseractError.invalidImage("100 bytes for 320x240 at 320 bytes per row")) {
            try engine.recognize(gray: Array(blank.prefix(100)), width: 320, height: 240, bytesPerRow: 320)
        }
    }

    @Test("missing language data: the error names the traineddata file, the directory and the Debian package")
    func missingLanguageData() throws {
        let dir = try TemporaryDirectory(prefix: "vidpipe-tessdata")
        #expect(throws: TesseractError.languageDataMissing(language: "eng", directory: dir.url.path)) {
            try TesseractEngine(language: "eng", dataPath: dir.url.path + "/")
        }
        do {
            _ = try TesseractEngine(language: "eng+chi_sim")
            Issue.record("chi_sim is not installed here, the init should have failed")
        } catch {
            #expect(error.description.contains("/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata does not exist"))
            #expect(error.description.contains("apt-get install tesseract-ocr-chi-sim"))
        }
    }

    @Test("small text on small frames: doubling the image before reading lowers the CER")
    func upscalingSmallText() throws {
        let doubled = try score(OCRFrameSets.small, upscale: true, cli: false)
        let asIs = try score(OCRFrameSets.small, upscale: false, cli: false)
        print(String(format: "OCR CER small text: doubled %.2f %%, as decoded %.2f %%", doubled.engine * 100, asIs.engine * 100))
        #expect(doubled.engine <= 0.05)
        #expect(doubled.engineErrors < asIs.engineErrors)
    }
}
