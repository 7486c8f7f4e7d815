import Foundation
import Store

/// What the media endpoint needs to answer a request: byte ranges (RFC 9110 §14), content types by
/// container, and whether a browser can play the file.
enum MediaFile {
    /// The answer to a `Range` header for a file of `size` bytes.
    enum RangeAnswer: Equatable {
        /// No usable range (none asked, several asked, or `If-Range` no longer matches): the whole file, 200.
        case whole
        /// One satisfiable range: 206 with `Content-Range: bytes first-last/size`.
        case partial(ClosedRange<Int64>)
        /// The range lies outside the file: 416 with `Content-Range: bytes */size`.
        case unsatisfiable
    }

    /// Reads `bytes=first-last`, `bytes=first-` and `bytes=-suffix`. A header that is not a byte
    /// range at all, or asks for several ranges, is answered with the whole file (allowed by the RFC).
    static func range(_ header: String?, size: Int64) -> RangeAnswer {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(",") else { return .whole }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard parts.count == 2 else { return .whole }
        let isDigits = { (s: String) in !s.isEmpty && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber) }
        if parts[0].isEmpty {
            // The last N bytes.
            guard isDigits(parts[1]), let suffix = Int64(parts[1]) else { return .whole }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial(max(0, size - suffix)...(size - 1))
        }
        guard isDigits(parts[0]), let first = Int64(parts[0]) else { return .whole }
        guard first < size else { return .unsatisfiable }
        if parts[1].isEmpty { return .partial(first...(size - 1)) }
        guard isDigits(parts[1]), let last = Int64(parts[1]) else { return .whole }
        guard last >= first else { return .whole }
        return .partial(first...min(last, size - 1))
    }

    /// The strong validator of a file's current content: its size and modification time.
    static func etag(size: Int64, mtimeNs: Int64) -> String {
        "\"\(String(size, radix: 16))-\(String(mtimeNs, radix: 16))\""
    }

    /// The Content-Type for a file, by its extension, else by the container FFmpeg reported.
    static func contentType(path: String, container: String?, hasVideo: Bool) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "mp4", "m4v": return "video/mp4"
        case "mov", "qt": return "video/quicktime"
        case "m4a": return "audio/mp4"
        case "webm": return hasVideo ? "video/webm" : "audio/webm"
        case "mkv": return "video/x-matroska"
        case "mka": return "audio/x-matroska"
        case "avi": return "video/x-msvideo"
        case "mp3": return "audio/mpeg"
        case "ogg", "oga": return "audio/ogg"
        case "ogv": return "video/ogg"
        case "opus": return "audio/ogg"
        case "wav": return "audio/wav"
        case "flac": return "audio/flac"
        case "ts", "mts", "m2ts": return "video/mp2t"
        case "mpg", "mpeg": return "video/mpeg"
        case "wmv": return "video/x-ms-wmv"
        case "3gp": return "video/3gpp"
        default: break
        }
        let family = container ?? ""
        if family.contains("mp4") || family.contains("mov") { return hasVideo ? "video/mp4" : "audio/mp4" }
        if family.contains("matroska") || family.contains("webm") { return "video/webm" }
        return "application/octet-stream"
    }

    /// Codecs and containers Chromium plays (measured with Debian's Chromium: H.264, VP8, VP9 and AV1
    /// video; AAC, MP3, Opus, Vorbis, FLAC and PCM audio; in MP4/MOV, Matroska/WebM, Ogg, MP3, WAV, FLAC).
    static let playableVideo: Set<String> = ["h264", "vp8", "vp9", "av1"]
    static let playableAudio: Set<String> = ["aac", "mp3", "opus", "vorbis", "flac", "pcm_s16le", "pcm_f32le", "pcm_s24le"]

    /// Why a browser will not play this file, or nil when it should.
    static func unplayableReason(_ video: VideoRow) -> String? {
        let container = video.container ?? ""
        let knownContainer = ["mp4", "mov", "matroska", "webm", "ogg", "mp3", "wav", "flac"].contains { container.contains($0) }
        if let codec = video.videoCodec, video.hasVideo, !playableVideo.contains(codec) {
            return "browsers do not play \(codec.uppercased()) video"
        }
        if !knownContainer, !container.isEmpty {
            return "browsers do not play the \(container) container"
        }
        if let codec = video.audioCodec, video.hasAudio, !video.hasVideo, !playableAudio.contains(codec) {
            return "browsers do not play \(codec.uppercased()) audio"
        }
        return nil
    }
}
