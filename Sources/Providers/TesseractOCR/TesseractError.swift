/// A failure of the Tesseract engine: what failed and what to do about it.
public enum TesseractError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `<directory>/<language>.traineddata` does not exist.
    case languageDataMissing(language: String, directory: String)
    /// `TessBaseAPIInit3` refused the language data (e.g. a damaged or incompatible file).
    case initFailed(language: String, directory: String)
    /// The image handed to `recognize` does not match its stated size.
    case invalidImage(String)
    /// `TessBaseAPIRecognize` returned an error.
    case recognitionFailed(width: Int, height: Int)

    public var description: String {
        switch self {
        case .languageDataMissing(let language, let directory):
            return "Tesseract language data '\(language)' not found: \(directory)/\(language).traineddata does not exist; "
                + "install the Debian package \(TesseractError.debianPackage(for: language)) "
                + "(apt-get install \(TesseractError.debianPackage(for: language))), or point the data path "
                + "(TESSDATA_PREFIX) at a tessdata directory that holds \(language).traineddata"
        case .initFailed(let language, let directory):
            return "Tesseract could not load language '\(language)' from \(directory) (TessBaseAPIInit3 failed); "
                + "the traineddata file may be damaged or for another Tesseract version: reinstall "
                + TesseractError.debianPackage(for: language)
        case .invalidImage(let reason):
            return "Tesseract was given an invalid image: \(reason)"
        case .recognitionFailed(let width, let height):
            return "Tesseract failed to recognise a \(width)x\(height) image (TessBaseAPIRecognize returned an error)"
        }
    }

    /// Debian names the packages after the traineddata file: chi_sim → tesseract-ocr-chi-sim.
    static func debianPackage(for language: String) -> String {
        "tesseract-ocr-" + language.lowercased().replacingOccurrences(of: "_", with: "-")
    }
}
