import Foundation

/// The three files a PocketSphinx decoder loads: an acoustic model directory, an n-gram language
/// model and a pronunciation dictionary. The defaults are where Debian's `pocketsphinx-en-us` installs
/// US English.
public struct PocketSphinxModel: Sendable, Equatable {
    public static let debianDirectory = "/usr/share/pocketsphinx/model/en-us"
    public static let debianAcousticModel = debianDirectory + "/en-us"
    public static let debianLanguageModel = debianDirectory + "/en-us.lm.bin"
    public static let debianDictionary = debianDirectory + "/cmudict-en-us.dict"
    /// Files every continuous acoustic model directory holds (mixture weights come as `sendump` or
    /// `mixture_weights`).
    static let acousticModelFiles = ["mdef", "means", "variances", "transition_matrices"]

    /// How the acoustic model files begin: binary (either byte order) or text model definition; Sphinx-3 parameters.
    static let headers: [(String, [String])] = [
        ("mdef", ["BMDF", "FDMB", "0.3", "#"]), ("means", ["s3"]), ("variances", ["s3"]), ("transition_matrices", ["s3"]),
    ]

    /// Directory of the acoustic model (holds mdef, means, variances, ...).
    public var acousticModel: String
    /// ARPA or binary n-gram language model.
    public var languageModel: String
    /// Pronunciation dictionary.
    public var dictionary: String

    public init(acousticModel: String? = nil, languageModel: String? = nil, dictionary: String? = nil) {
        self.acousticModel = acousticModel ?? PocketSphinxModel.debianAcousticModel
        self.languageModel = languageModel ?? PocketSphinxModel.debianLanguageModel
        self.dictionary = dictionary ?? PocketSphinxModel.debianDictionary
    }

    /// Checks that every file exists, so a missing model is an error that names the file instead
    /// of a silent NULL from the C library.
    public func check() throws(PocketSphinxError) {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: acousticModel, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw missing("acoustic model directory \(acousticModel) does not exist", path: acousticModel)
        }
        for name in PocketSphinxModel.acousticModelFiles {
            let path = (acousticModel as NSString).appendingPathComponent(name)
            guard fm.isReadableFile(atPath: path) else {
                throw missing("acoustic model file \(path) is missing or unreadable", path: path)
            }
        }
        // sphinxbase ends the process (E_FATAL) on some damaged model files instead of returning an
        // error; the headers are checked here so the likely cases become errors.
        for (name, magics) in PocketSphinxModel.headers {
            let path = (acousticModel as NSString).appendingPathComponent(name)
            let head = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 4) } ?? Data()
            guard magics.contains(where: { head.starts(with: Data($0.utf8)) }) else {
                throw PocketSphinxError(operation: "load model", "\(path) is not a PocketSphinx acoustic model file",
                                        hint: "point model_dir at a PocketSphinx acoustic model directory, e.g. \(PocketSphinxModel.debianAcousticModel)")
            }
        }
        let hasWeights = ["sendump", "mixture_weights"].contains {
            fm.isReadableFile(atPath: (acousticModel as NSString).appendingPathComponent($0))
        }
        guard hasWeights else {
            throw missing("acoustic model \(acousticModel) has neither sendump nor mixture_weights", path: acousticModel)
        }
        for (what, path) in [("language model", languageModel), ("dictionary", dictionary)] {
            guard fm.isReadableFile(atPath: path), !fm.directoryExists(path) else {
                throw missing("\(what) \(path) is missing or unreadable", path: path)
            }
        }
    }

    private func missing(_ message: String, path: String) -> PocketSphinxError {
        let isDebian = path.hasPrefix(PocketSphinxModel.debianDirectory)
        let hint = isDebian
            ? "install the Debian package pocketsphinx-en-us (apt-get install pocketsphinx-en-us)"
            : "point the path at an existing PocketSphinx model, or leave it unset to use Debian's pocketsphinx-en-us"
        return PocketSphinxError(operation: "load model", message, hint: hint)
    }
}

extension FileManager {
    fileprivate func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
