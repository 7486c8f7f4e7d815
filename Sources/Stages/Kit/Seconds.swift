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

    /// Parses "500ms", "1.5s", "2m", "1h", "90" (seconds), and compounds from the largest unit down
    /// ("5h50m", "1h30m15s", "2m30s"). Nil when malformed or negative.
    public static func parse(_ text: String) -> Double? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let v = Double(s), v >= 0, v.isFinite { return v }
        let units: [(String, Double)] = [("h", 3600), ("m", 60), ("s", 1), ("ms", 0.001)]
        var rest = Substring(s), total = 0.0, next = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number), value.isFinite else { return nil }
            rest = rest.dropFirst(number.count)
            let letters = rest.prefix { $0.isLetter }
            // Each unit once, larger before smaller ("ms" is read whole, never as "m" + "s").
            guard let index = units.firstIndex(where: { $0.0 == letters }), index >= next else { return nil }
            total += value * units[index].1
            next = index + 1
            rest = rest.dropFirst(letters.count).drop { $0 == " " }
        }
        return s.isEmpty ? nil : total
    }

    public var description: String {
        value >= 1 || value == 0 ? "\(Seconds.trim(value))s" : "\(Seconds.trim(value * 1000))ms"
    }

    private static func trim(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}
