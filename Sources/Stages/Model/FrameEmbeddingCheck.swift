import Foundation
import MediaIO
import ModelAPI

/// What `embed.frames` established about a provider's model on first use: the image format it takes
/// and the dimension of its vectors (text and image alike: one space).
struct FrameEmbedder: Sendable, Equatable {
    var format: ImageEmbeddingFormat
    var dimension: Int
}

/// The capability check `embed.frames` makes once per provider and model in a run, before any frame is
/// sent: two different probe images and a text are embedded — in `data_uri` format the text is the first
/// image's data URI, elsewhere a short caption (the data URI is about 370 tokens: seconds on a small
/// server) — and the server is refused when it fails on images, when the two images give (nearly) the
/// same vector (it does not look at the image), when, in `data_uri` format, an image's vector equals that
/// of its data URI embedded as text (a text-only embedder reading the base64 as words), or when text and
/// image vectors differ in dimension (text queries could not search them). `auto` tries `autoOrder` and
/// keeps the first format that passes.
enum FrameEmbeddingCheck {
    /// The order `format: auto` tries: shapes a text-only server refuses outright first, the data-URI
    /// string (which a text embedder happily embeds as text) last.
    static let autoOrder: [ImageEmbeddingFormat] = [.messages, .inputObject, .llamaCpp, .dataURI]
    /// Cosine similarity at or above which two vectors count as the same.
    static let sameVector: Float = 0.999

    /// The verdict for (provider, model, format) in this run: checked on first use, then remembered
    /// (a refusal too, so every video fails at once with the same reason). Transport failures (server down,
    /// timeout, unknown model) are not remembered.
    static func verified(_ provider: any ModelProvider, model: String?, format: ImageEmbeddingFormat?, stage: String) throws
        -> FrameEmbedder {
        let modelName = model ?? provider.defaultModel ?? ""
        let key = "\(modelName)|\(format?.rawValue ?? "auto")"
        return try FrameEmbeddingVerdicts.shared.verdict(for: provider, key: key) {
            try probe(provider, model: model, modelName: modelName, formats: format.map { [$0] } ?? autoOrder, stage: stage)
        }
    }

    /// Why a format fails, or nil when the server embeds images in it.
    enum Outcome {
        case works(FrameEmbedder)
        case refused(String)
    }

    static func probe(_ provider: any ModelProvider, model: String?, modelName: String, formats: [ImageEmbeddingFormat],
                      stage: String) throws -> Result<FrameEmbedder, StageModelError> {
        var reasons: [String] = []
        for format in formats {
            switch try check(provider, model: model, format: format) {
            case .works(let embedder): return .success(embedder)
            case .refused(let why): reasons.append(formats.count > 1 ? "\(format.rawValue): \(why)" : why)
            }
        }
        let tried = formats.count > 1 ? "in any format (tried \(formats.map(\.rawValue).joined(separator: ", ")))"
            : "in format \(formats[0].rawValue)"
        return .failure(StageModelError(
            "\(stage): provider '\(provider.name)' model '\(modelName)' does not embed images \(tried): "
                + reasons.joined(separator: "; ")
                + " — use a model with an image tower (e.g. a CLIP or SigLIP model on vLLM, llama.cpp with --mmproj), "
                + "or set `format:` to the shape your server takes"))
    }

    /// Embeds the probes in `format`; throws only what no other format could cure (server down, timeout,
    /// bad configuration, unknown model).
    static func check(_ provider: any ModelProvider, model: String?, format: ImageEmbeddingFormat) throws -> Outcome {
        let (first, second) = ProbeImages.jpegs
        let attempt = Result { () throws(ModelProviderError) -> (EmbeddingResult, EmbeddingResult) in
            (try provider.embed(EmbeddingRequest(model: model, inputs: [.jpeg(first), .jpeg(second)], imageFormat: format)),
             try provider.embed(EmbeddingRequest(model: model, inputs: [.text(format == .dataURI ? ProbeImages.dataURI(first)
                                                                                                    : ProbeImages.caption)])))
        }
        let images: EmbeddingResult, text: EmbeddingResult
        switch attempt {
        case .success(let answers): (images, text) = answers
        case .failure(let error):
            let noFormatCures: [ModelProviderError.Kind] = [.unreachable, .timeout, .configuration, .unknownModel]
            if noFormatCures.contains(error.kind) { throw error }
            return .refused(error.message)
        }
        guard images.vectors.count == 2, let a = images.vectors.first, let b = images.vectors.last, !a.isEmpty,
              a.count == b.count, a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
            return .refused("the server answered two images with vectors of dimensions "
                            + images.vectors.map { String($0.count) }.joined(separator: " and "))
        }
        if cosine(a, b) >= sameVector {
            return .refused("two different images gave the same vector: the server does not look at the image")
        }
        guard let t = text.vectors.first, !t.isEmpty else { return .refused("the server gave no vector for a text") }
        if t.count != a.count {
            return .refused("image vectors have \(a.count) dimensions but text vectors \(t.count): text queries cannot "
                            + "search them (the model has no text tower in the same space)")
        }
        if format == .dataURI && cosine(a, t) >= sameVector {
            return .refused("an image's vector equals that of its data URI embedded as text: a text-only embedder")
        }
        return .works(FrameEmbedder(format: format, dimension: a.count))
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return -1 }
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in a.indices {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        guard na > 0, nb > 0 else { return a == b ? 1 : 0 }
        return dot / (na.squareRoot() * nb.squareRoot())
    }
}

/// Two small, plainly different JPEGs (red and white stripes; a blue and yellow checkerboard), made once.
enum ProbeImages {
    static let jpegs: (first: [UInt8], second: [UInt8]) = {
        func image(_ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> [UInt8] {
            let side = 64
            var pixels: [UInt8] = []
            pixels.reserveCapacity(side * side * 3)
            for y in 0..<side {
                for x in 0..<side {
                    let (r, g, b) = colour(x, y)
                    pixels += [r, g, b]
                }
            }
            let frame = VideoFrame(time: 0, index: 0, isKeyframe: true, width: side, height: side, layout: .rgb24, pixels: pixels)
            return (try? JPEGEncoder(quality: 85).encode(frame)) ?? []
        }
        let stripes = image { _, y in y / 8 % 2 == 0 ? (220, 30, 30) : (250, 250, 250) }
        let checks = image { x, y in (x / 16 + y / 16) % 2 == 0 ? (30, 60, 200) : (240, 220, 40) }
        return (stripes, checks)
    }()

    /// The text probe where the image does not travel as a data-URI string.
    static let caption = "red and white horizontal stripes"

    static func dataURI(_ jpeg: [UInt8]) -> String { "data:image/jpeg;base64," + Data(jpeg).base64EncodedString() }
}

/// The checks' verdicts for the providers of the current run, keyed by provider object: a run's
/// providers live as long as the run, and an entry whose provider is gone is stale (a later run's
/// provider may reuse the address, so the weak reference is compared, not only the identifier).
// @unchecked Sendable: `entries` is read and written only under `lock`, which is held through a check so
// that concurrent videos wait for the first one's verdict instead of probing again.
final class FrameEmbeddingVerdicts: @unchecked Sendable {
    static let shared = FrameEmbeddingVerdicts()

    private struct Entry {
        weak var provider: (any ModelProvider)?
        var verdicts: [String: Result<FrameEmbedder, StageModelError>]
    }

    private let lock = NSLock()
    private var entries: [ObjectIdentifier: Entry] = [:]

    func verdict(for provider: any ModelProvider, key: String,
                 check: () throws -> Result<FrameEmbedder, StageModelError>) throws -> FrameEmbedder {
        lock.lock()
        defer { lock.unlock() }
        let id = ObjectIdentifier(provider)
        if let entry = entries[id], entry.provider === provider, let known = entry.verdicts[key] {
            return try known.get()
        }
        let verdict = try check()
        var entry = entries[id].flatMap { $0.provider === provider ? $0 : nil } ?? Entry(provider: provider, verdicts: [:])
        entry.verdicts[key] = verdict
        entries[id] = entry
        entries = entries.filter { $0.value.provider != nil }
        return try verdict.get()
    }
}
