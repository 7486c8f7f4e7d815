import Foundation

/// File checks done in Swift before a path reaches sherpa-onnx, whose C++ side exits the process
/// on a model it cannot read.
enum ModelFile {
    /// True when `path` is a regular, readable, non-empty file.
    static func isUsable(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              FileManager.default.isReadableFile(atPath: path),
              let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber
        else { return false }
        return size.int64Value > 0
    }

    /// True when `path` is an existing directory.
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
