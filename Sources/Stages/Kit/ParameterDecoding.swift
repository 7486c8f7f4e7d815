import Foundation

/// Decoding helpers shared by the stage types' `Parameters`.
extension KeyedDecodingContainer {
    /// Decodes a string key into one of a closed set of choices; an unknown value is an error that
    /// lists the valid ones.
    func decodeChoice<Choice: RawRepresentable & CaseIterable>(
        _ type: Choice.Type, forKey key: Key
    ) throws -> Choice where Choice.RawValue == String {
        let text = try decode(String.self, forKey: key)
        guard let choice = Choice(rawValue: text) else {
            let valid = Choice.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self,
                debugDescription: "'\(text)' is not a valid \(key.stringValue); use one of: \(valid)")
        }
        return choice
    }
}

/// Range checks shared by the stage types' `validate()`.
enum ParameterCheck {
    static func range<T: Comparable>(_ value: T, _ range: ClosedRange<T>, key: String) throws(ParameterError) {
        guard range.contains(value) else {
            throw ParameterError(key: key, "\(value) is out of range", hint: "use a value from \(range.lowerBound) to \(range.upperBound)")
        }
    }

    static func positive(_ value: Double, key: String) throws(ParameterError) {
        guard value > 0, value.isFinite else {
            throw ParameterError(key: key, "\(value) must be greater than zero")
        }
    }
}
