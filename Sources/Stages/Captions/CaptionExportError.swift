import Foundation

/// A caption file could not be written: which file, what went wrong, what to do.
struct CaptionExportError: Error, Sendable, CustomStringConvertible {
    var path: String
    var message: String
    var description: String { "\(path): \(message)" }
}
