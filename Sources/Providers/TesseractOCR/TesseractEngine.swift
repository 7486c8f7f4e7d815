import Foundation
internal import CTesseract

/// One Tesseract instance (`TessBaseAPI`) with a language loaded, reading 8-bit gray images.
/// Not thread-safe and not Sendable: create one per worker queue and use it only there. Its calls
/// block for hundreds of milliseconds, so run them on a Dispatch queue, not on Swift concurrency's pool.
public final class TesseractEngine {
    /// Images shorter than this are doubled in size before recognition (small text reads much better).
    public static let upscaleBelowHeight = 720

    public let language: String
    /// The tessdata directory the language was loaded from.
    public let dataDirectory: String
    /// Double images under `upscaleBelowHeight` rows before reading them (boxes are reported in the input's coordinates).
    public var upscalesSmallImages = true
    private let handle: OpaquePointer

    /// Loads `language` ("eng", or several joined by "+", e.g. "eng+deu") from `dataPath` (a tessdata
    /// directory; nil: $TESSDATA_PREFIX, else the system's tessdata). Throws
    /// `TesseractError.languageDataMissing` naming the directory and the Debian package when a
    /// traineddata file is missing.
    public init(language: String = "eng", dataPath: String? = nil) throws(TesseractError) {
        let directory = try TesseractEngine.checkLanguageData(language: language, dataPath: dataPath)
        _ = OpenMPThreadLimit.environmentSet
        guard let handle = TessBaseAPICreate() else {
            throw .initFailed(language: language, directory: directory)
        }
        // Silence Tesseract's notes on stderr ("Estimating resolution as ...") before Init prints any.
        _ = TessBaseAPISetVariable(handle, "debug_file", "/dev/null")
        guard TessBaseAPIInit3(handle, directory, language) == 0 else {
            TessBaseAPIDelete(handle)
            throw .initFailed(language: language, directory: directory)
        }
        // The C API defaults to a single uniform block, which garbles frames with text here and there.
        TessBaseAPISetPageSegMode(handle, PSM_AUTO)
        self.handle = handle
        self.language = language
        self.dataDirectory = directory
    }

    deinit {
        TessBaseAPIEnd(handle)
        TessBaseAPIDelete(handle)
    }

    /// The tessdata directory that holds every language in `language` ("eng+deu"); throws naming the
    /// first missing traineddata file and its Debian package. Cheap: only looks at the file system.
    @discardableResult
    public static func checkLanguageData(language: String, dataPath: String? = nil) throws(TesseractError) -> String {
        let directory = resolveDataDirectory(dataPath)
        let languages = language.split(separator: "+").map(String.init)
        guard !languages.isEmpty, languages.allSatisfy({ !$0.isEmpty && !$0.contains("/") }) else {
            throw .languageDataMissing(language: language, directory: directory)
        }
        for name in languages where !FileManager.default.fileExists(atPath: directory + "/" + name + ".traineddata") {
            throw .languageDataMissing(language: name, directory: directory)
        }
        return directory
    }

    /// `dataPath`, else $TESSDATA_PREFIX, else the first system tessdata directory that exists.
    static func resolveDataDirectory(_ dataPath: String?) -> String {
        func trimmed(_ path: String) -> String { path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path }
        if let dataPath, !dataPath.isEmpty { return trimmed(dataPath) }
        if let prefix = ProcessInfo.processInfo.environment["TESSDATA_PREFIX"], !prefix.isEmpty { return trimmed(prefix) }
        let candidates = ["/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                          "/usr/share/tessdata", "/usr/local/share/tessdata", "/opt/homebrew/share/tessdata"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }

    /// Reads the text on an 8-bit gray image (`height` rows of `bytesPerRow` bytes, `width` used).
    public func recognize(gray: [UInt8], width: Int, height: Int, bytesPerRow: Int) throws(TesseractError) -> OCRPage {
        guard width > 0, height > 0, bytesPerRow >= width else {
            throw .invalidImage("size \(width)x\(height) with \(bytesPerRow) bytes per row")
        }
        guard gray.count >= bytesPerRow * (height - 1) + width else {
            throw .invalidImage("\(gray.count) bytes for \(width)x\(height) at \(bytesPerRow) bytes per row")
        }
        let scale = upscalesSmallImages && height < TesseractEngine.upscaleBelowHeight ? 2 : 1
        let words: [OCRWord]
        if scale == 2 {
            let doubled = gray.withUnsafeBufferPointer {
                GrayUpscaler.doubled($0, width: width, height: height, bytesPerRow: bytesPerRow)
            }
            words = try read(doubled, width: width * 2, height: height * 2, bytesPerRow: width * 2)
        } else {
            words = try read(gray, width: width, height: height, bytesPerRow: bytesPerRow)
        }
        return OCRPage(words: scale == 1 ? words : words.map { word in
            var w = word
            w.x = word.x / scale
            w.y = word.y / scale
            w.width = (word.width + scale - 1) / scale
            w.height = (word.height + scale - 1) / scale
            return w
        })
    }

    private func read(_ pixels: [UInt8], width: Int, height: Int, bytesPerRow: Int) throws(TesseractError) -> [OCRWord] {
        defer { TessBaseAPIClear(handle) }
        OpenMPThreadLimit.restrictCurrentThread()
        let status = pixels.withUnsafeBufferPointer { buffer -> Int32 in
            TessBaseAPISetImage(handle, buffer.baseAddress, Int32(width), Int32(height), 1, Int32(bytesPerRow))
            return TessBaseAPIRecognize(handle, nil)
        }
        guard status == 0 else { throw .recognitionFailed(width: width, height: height) }
        return collectWords()
    }

    /// Walks the result iterator word by word; every string Tesseract returns is freed here.
    private func collectWords() -> [OCRWord] {
        guard let iterator = TessBaseAPIGetIterator(handle) else { return [] }
        defer { TessResultIteratorDelete(iterator) }
        let page = TessResultIteratorGetPageIteratorConst(iterator)
        var words: [OCRWord] = []
        var line = -1
        repeat {
            if TessPageIteratorIsAtBeginningOf(page, RIL_TEXTLINE) != 0 { line += 1 }
            guard let cText = TessResultIteratorGetUTF8Text(iterator, RIL_WORD) else { continue }
            let text = String(cString: cText).trimmingCharacters(in: .whitespacesAndNewlines)
            TessDeleteText(cText)
            var left: Int32 = 0, top: Int32 = 0, right: Int32 = 0, bottom: Int32 = 0
            guard !text.isEmpty, TessPageIteratorBoundingBox(page, RIL_WORD, &left, &top, &right, &bottom) != 0 else {
                continue
            }
            let confidence = Double(TessResultIteratorConfidence(iterator, RIL_WORD)) / 100
            words.append(OCRWord(text: text, confidence: min(1, max(0, confidence)), x: Int(left), y: Int(top),
                                 width: Int(right - left), height: Int(bottom - top), line: max(0, line)))
        } while TessResultIteratorNext(iterator, RIL_WORD) != 0
        return words
    }
}
