import Foundation

/// A Whisper model installed by `vidpipe models install` (or scripts/setup.sh): a folder holding
/// the sherpa-onnx encoder, decoder and tokens files and the converter's `manifest.json` (file
/// sizes and sha256, languages, whether the model is multilingual). Found by name under the models
/// root, or by path. Checking reads the manifest and the file sizes only (`vidpipe models verify`
/// compares every byte with the manifest's sha256).
public struct WhisperModelFolder: Sendable, Equatable {
    /// Where installed models live: `$VIDPIPE_MODELS`, else /usr/local/share/vidpipe/models.
    public static var root: String {
        ProcessInfo.processInfo.environment["VIDPIPE_MODELS"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/usr/local/share/vidpipe/models"
    }

    /// The models `vidpipe models install` knows.
    public static let catalog = ["whisper-tiny.en", "whisper-base"]
    public static let defaultName = "whisper-tiny.en"

    public var directory: String
    /// The installed name (e.g. whisper-tiny.en), or the folder's name for a path.
    public var name: String
    public var multilingual: Bool
    /// Language codes the model knows (["en"] for an English-only model).
    public var languages: [String]

    /// The folder of an installed model `name` (under `root`), or `directory` when given.
    /// Throws a one-line error that names the missing or damaged file and the command that
    /// installs the model.
    public static func locate(name: String, directory: String? = nil) throws(SherpaOnnxError) -> WhisperModelFolder {
        let folder = directory ?? (root as NSString).appendingPathComponent(name)
        let install = catalog.contains(name)
            ? "run `vidpipe models install \(name)` (or `make setup`)"
            : "install a catalog model (`vidpipe models list`) or set model_dir to a folder written by scripts/models/convert-whisper.py"
        guard ModelFile.isDirectory(folder) else {
            throw SherpaOnnxError(.modelMissing, "Whisper model \(name) is not installed: \(folder) does not exist", hint: install)
        }
        let manifestPath = (folder as NSString).appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            let sherpaExport = (try? SherpaModelType.whisper.locateFiles(in: folder)) != nil
            throw SherpaOnnxError(.modelIncomplete, "Whisper model folder \(folder) has no readable manifest.json",
                                  hint: sherpaExport
                                    ? "it looks like a sherpa-onnx Whisper download: use it with engine: sherpa, model_dir: \(folder) "
                                        + "(text without word times), or \(install)"
                                    : install)
        }
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw SherpaOnnxError(.modelIncomplete, "\(manifestPath) is not a vidpipe Whisper manifest (damaged?)", hint: install)
        }
        for (file, size) in manifest.sizes.sorted(by: { $0.key < $1.key }) {
            let path = (folder as NSString).appendingPathComponent(file)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  let actual = (attributes[.size] as? NSNumber)?.intValue else {
                throw SherpaOnnxError(.modelIncomplete, "Whisper model file \(path) is missing or unreadable", hint: install,
                                      missingFiles: [file])
            }
            guard actual == size else {
                throw SherpaOnnxError(.modelIncomplete, "Whisper model file \(path) is \(actual) bytes, the manifest says \(size) "
                                      + "(truncated or replaced)", hint: install)
            }
        }
        // The files sherpa-onnx will load must be among those the manifest vouches for.
        let located = try SherpaModelType.whisper.locateFiles(in: folder)
        for path in located.values where manifest.sizes[(path as NSString).lastPathComponent] == nil {
            throw SherpaOnnxError(.modelIncomplete, "\(path) is not listed in \(manifestPath)", hint: install)
        }
        return WhisperModelFolder(directory: folder, name: name, multilingual: manifest.multilingual,
                                  languages: manifest.languages ?? (manifest.multilingual ? [] : ["en"]))
    }

    private struct Manifest: Decodable {
        var multilingual: Bool
        var languages: [String]?
        var sizes: [String: Int]
    }
}
