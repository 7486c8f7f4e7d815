import Foundation

/// A length of time in a pipeline file: "500ms", "5s", "2m", "1h", or bare seconds (`5`, `0.5`).
public struct Seconds: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var value: Double
    public init(_ value: Double) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self.value = number
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = Seconds.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not a duration; write it with a unit, e.g. 500ms, 5s, 2m, 1h, or as bare seconds")
        }
        self.value = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// Parses "500ms", "1.5s", "2m", "1h", "90" (seconds). Nil when malformed or negative.
    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            // "ms" must not be read as "m" + "s": the loop tries "ms" first.
            if let v = Double(number), v >= 0, v.isFinite { return v * scale }
            return nil
        }
        if let v = Double(s), v >= 0, v.isFinite { return v }
        return nil
    }

    public var description: String {
        value >= 1 || value == 0 ? "\(Seconds.trim(value))s" : "\(Seconds.trim(value * 1000))ms"
    }

    private static func trim(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}
