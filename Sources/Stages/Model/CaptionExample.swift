import Foundation

/// One few-shot example of `frames.caption`: the image (or, for `per: shot`, the images of a shot with
/// their times) and the caption the model should give for it.
///
/// ```yaml
/// examples:
///   - { image: examples/kitchen.jpg, caption: "A man chops onions in a small kitchen." }          # per: frame
///   - { images: [examples/run1.jpg, examples/run2.jpg], times: [0, 2.5], caption: "A runner crosses the line." }
/// ```
public struct CaptionExample: Codable, Sendable, Equatable, Hashable {
    /// One JPEG file, relative to the pipeline file.
    public var image: String?
    /// Several JPEG files of one shot, in time order.
    public var images: [String]
    /// The time (seconds) shown before each of `images`; empty: 0, 1, 2, … s.
    public var times: [Double]
    public var caption: String

    public init(image: String, caption: String) {
        self.image = image
        self.images = []
        self.times = []
        self.caption = caption
    }

    public init(images: [String], times: [Double] = [], caption: String) {
        self.image = nil
        self.images = images
        self.times = times
        self.caption = caption
    }

    /// The files, whichever key named them.
    var files: [String] { image.map { [$0] } ?? images }

    /// The time label of the n-th file.
    func time(_ n: Int) -> Double { n < times.count ? times[n] : Double(n) }

    static let keys = ["image", "images", "times", "caption"]

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ParameterKey.self)
        // A misspelt key would otherwise leave an example without its images and say nothing.
        if let unknown = container.allKeys.first(where: { !Self.keys.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(
                forKey: unknown, in: container,
                debugDescription: "unknown key '\(unknown.stringValue)' in an example; an example takes "
                    + Self.keys.joined(separator: ", "))
        }
        image = try container.decodeIfPresent(String.self, forKey: ParameterKey(stringValue: "image"))
        images = try container.decodeIfPresent([String].self, forKey: ParameterKey(stringValue: "images")) ?? []
        times = try container.decodeIfPresent([Double].self, forKey: ParameterKey(stringValue: "times")) ?? []
        caption = try container.decodeIfPresent(String.self, forKey: ParameterKey(stringValue: "caption")) ?? ""
    }

    /// Only the keys given: an example written as `{image, caption}` encodes (and fingerprints) as it always did.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: ParameterKey.self)
        try container.encode(caption, forKey: ParameterKey(stringValue: "caption"))
        try container.encodeIfPresent(image, forKey: ParameterKey(stringValue: "image"))
        if !images.isEmpty { try container.encode(images, forKey: ParameterKey(stringValue: "images")) }
        if !times.isEmpty { try container.encode(times, forKey: ParameterKey(stringValue: "times")) }
    }

    /// Checks one example (the `n`-th, 0-based) against the stage's `per` and `max_images`.
    func check(_ n: Int, perShot: Bool, maxImages: Int) throws(ParameterError) {
        let label = "examples[\(n)]"
        let shape = perShot ? "{ images: [a.jpg, b.jpg], times: [0, 2.5], caption: \"…\" }" : "{ image: a.jpg, caption: \"…\" }"
        if caption.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ParameterError(key: "examples", "\(label) has no caption", hint: "e.g. examples: [\(shape)]")
        }
        if image != nil && !images.isEmpty {
            throw ParameterError(key: "examples", "\(label) gives both image and images", hint: "keep one: \(shape)")
        }
        if files.isEmpty || files.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ParameterError(key: "examples", "\(label) names no image", hint: "e.g. examples: [\(shape)]")
        }
        if !perShot && files.count > 1 {
            throw ParameterError(key: "examples", "\(label) has \(files.count) images, but per: frame sends one frame a request",
                                 hint: "set per: shot, or give one image: \(shape)")
        }
        if !perShot && !times.isEmpty {
            throw ParameterError(key: "examples", "\(label): times are for per: shot examples", hint: "remove times")
        }
        if files.count > maxImages {
            throw ParameterError(key: "examples", "\(label) has \(files.count) images, more than max_images (\(maxImages))",
                                 hint: "give at most \(maxImages) images, or raise max_images")
        }
        if !times.isEmpty {
            guard times.count == files.count else {
                throw ParameterError(key: "examples", "\(label) has \(files.count) images but \(times.count) times",
                                     hint: "give one time (seconds) per image, or none")
            }
            guard times.allSatisfy({ $0.isFinite && $0 >= 0 }), zip(times, times.dropFirst()).allSatisfy({ $0 <= $1 }) else {
                throw ParameterError(key: "examples", "\(label): times must be seconds ≥ 0 in increasing order",
                                     hint: "e.g. times: [0, 2.5, 5]")
            }
        }
    }
}
