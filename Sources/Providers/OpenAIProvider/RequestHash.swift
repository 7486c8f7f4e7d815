import Crypto
import Foundation

/// The key a response is cached under: SHA-256 (hex) over the endpoint, the model and the request's
/// canonical content (sorted-key JSON, or multipart fields and the audio bytes). The API key, the
/// multipart boundary and any fallback the provider applied are not part of it, so the same question
/// hashes the same on every run and every server sharing the store.
struct RequestHash {
    private var hasher = SHA256()

    /// - Parameter identity: the model's identity when it changed from the one the store's results were
    ///   made with (`keepCachedAnswersApart`); nil keeps the hashes of every earlier run.
    init(path: String, model: String, identity: String? = nil) {
        add("vidpipe-openai-v1\n")
        add("POST \(path)\n")
        add("model=\(model)\n")
        if let identity { add("identity=\(identity)\n") }
    }

    mutating func add(_ text: String) { hasher.update(data: Data(text.utf8)) }

    mutating func add(bytes: [UInt8]) {
        add("bytes=\(bytes.count)\n")
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        add("\n")
    }

    func finalize() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
