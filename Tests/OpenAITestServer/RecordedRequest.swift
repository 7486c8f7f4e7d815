import Foundation

/// One request the server received, complete with its body.
public struct RecordedRequest: Sendable {
    /// 0 for the first request the server saw, 1 for the next…: handy for scripts such as "fail twice, then answer".
    public var index: Int
    public var method: String
    /// The path without the query: `/v1/chat/completions`.
    public var path: String
    /// The request target as sent, query included.
    public var uri: String
    /// Headers in order, names as sent.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(index: Int, method: String, uri: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.index = index
        self.method = method
        self.uri = uri
        self.path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with `JSONSerialization` (dictionaries, arrays, `NSNumber`s, strings); nil when not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }

    /// The body as a JSON object; nil when it is not one.
    public var jsonObject: [String: Any]? { json as? [String: Any] }

    /// The parts of a `multipart/form-data` body (by the boundary in `Content-Type`); nil when it is not one.
    public var multipartParts: [MultipartPart]? {
        guard let contentType = header("content-type") else { return nil }
        return MultipartPart.parse(body, contentType: contentType)
    }

    /// The `Bearer` token of the `Authorization` header.
    public var bearerToken: String? {
        guard let value = header("authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst("bearer ".count))
    }
}

/// One part of a `multipart/form-data` body.
public struct MultipartPart: Sendable, Equatable {
    /// The `name` of its `Content-Disposition`.
    public var name: String
    public var filename: String?
    public var contentType: String?
    public var body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// A small parser for test assertions: splits on the boundary from `contentType`, reads each part's
    /// headers, keeps its bytes exactly (binary-safe).
    public static func parse(_ body: [UInt8], contentType: String) -> [MultipartPart]? {
        guard contentType.lowercased().hasPrefix("multipart/form-data"),
              let range = contentType.range(of: "boundary=") else { return nil }
        var boundary = String(contentType[range.upperBound...])
        if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
        boundary = boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MultipartPart] = []
        var cursor = 0
        guard let first = find(delimiter, in: body, from: 0) else { return nil }
        cursor = first + delimiter.count
        while cursor + 2 <= body.count {
            // "--" after a delimiter closes the body.
            if body[cursor] == UInt8(ascii: "-"), body[cursor + 1] == UInt8(ascii: "-") { break }
            cursor += 2  // CRLF after the delimiter
            guard let headerEnd = find(Array("\r\n\r\n".utf8), in: body, from: cursor),
                  let next = find(Array("\r\n".utf8) + delimiter, in: body, from: headerEnd + 4) else { return nil }
            let headerText = String(decoding: body[cursor..<headerEnd], as: UTF8.self)
            var part = MultipartPart(name: "", filename: nil, contentType: nil, body: Array(body[(headerEnd + 4)..<next]))
            for line in headerText.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    part.name = parameter("name", in: line) ?? ""
                    part.filename = parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
            cursor = next + 2 + delimiter.count
        }
        return parts
    }

    private static func parameter(_ name: String, in line: String) -> String? {
        for piece in line.split(separator: ";") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix(name + "=") {
                return String(trimmed.dropFirst(name.count + 1)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        while i <= haystack.count - needle.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension [MultipartPart] {
    /// The first part named `name`.
    public func part(_ name: String) -> MultipartPart? { first { $0.name == name } }
    /// Every part named `name` (repeated fields such as `timestamp_granularities[]`), as text.
    public func values(_ name: String) -> [String] { filter { $0.name == name }.map(\.text) }
}
