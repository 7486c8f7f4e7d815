import Foundation

/// C copies of several optional Swift strings, alive for the duration of one closure: for filling
/// C config structs whose string fields sherpa-onnx copies when the object is created.
struct CStrings {
    let strings: [String?]
    init(_ strings: [String?]) { self.strings = strings }

    /// Calls `body` with one pointer per string (nil for nil), valid only inside `body`.
    func withPointers<R>(_ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
        defer { copies.forEach { free($0) } }
        return try body(copies.map { $0.map { UnsafePointer($0) } })
    }
}
