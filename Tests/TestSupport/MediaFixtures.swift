import Foundation

/// Media files for the MediaIO tests, generated with the ffmpeg CLI.
public enum MediaFixture {
    private static let x264Fast = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]

    /// testsrc2 video (H.264) with a 440 Hz sine (AAC) in MP4. `gop` sets the keyframe interval.
    public static func h264AAC(at path: String, seconds: Double = 3, size: String = "320x240", fps: Int = 25,
                               gop: Int? = nil, audio: Bool = true, extra: [String] = []) throws {
        var args = ["-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(fps):duration=\(seconds)"]
        if audio { args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=\(seconds)"] }
        args += x264Fast
        if let gop { args += ["-g", "\(gop)", "-keyint_min", "\(gop)", "-sc_threshold", "0"] }
        if audio { args += ["-c:a", "aac", "-b:a", "64k"] }
        try ffmpeg(args + extra, output: path)
    }

    /// A VP9 WebM written to `path` whatever its extension (e.g. a WebM named .mp4).
    public static func vp9WebM(at path: String, seconds: Double = 2, fps: Int = 25) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=\(fps):duration=\(seconds)",
                    "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
                    "-f", "webm"], output: path)
    }

    /// An audio-only AAC .m4a holding a sine of `frequency` Hz.
    public static func sineM4A(at path: String, seconds: Double = 3, frequency: Int = 440,
                               sampleRate: Int = 44100) throws {
        try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=\(frequency):sample_rate=\(sampleRate):duration=\(seconds)",
                    "-c:a", "aac", "-b:a", "96k"], output: path)
    }

    /// Copies `source` into `path` with a rotate tag (stored as a display matrix by FFmpeg 5.1's MP4 muxer).
    public static func rotated(from source: String, to path: String, degrees: Int) throws {
        try ffmpeg(["-i", source, "-c", "copy", "-metadata:s:v:0", "rotate=\(degrees)"], output: path)
    }

    /// A variable-frame-rate MKV: 1 s at 10 fps followed by 1 s at 30 fps.
    public static func variableFrameRate(at path: String) throws {
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=1",
                    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=1",
                    "-filter_complex", "[0:v]settb=1/1000[a];[1:v]settb=1/1000[b];[a][b]concat=n=2:v=1:a=0[v]",
                    "-map", "[v]", "-fps_mode", "vfr"] + x264Fast, output: path)
    }

    /// Video frame times (seconds from the container start) as ffprobe reports them.
    public static func probedFrameTimes(_ path: String) throws -> [Double] {
        let start = try runCommand("ffprobe", ["-v", "error", "-show_entries", "format=start_time",
                                               "-of", "csv=p=0", path])
        let origin = Double(start.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let out = try runCommand("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries",
                                             "frame=best_effort_timestamp_time", "-of", "csv=p=0", path])
        return out.split(whereSeparator: \.isNewline)
            .compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: " ,"))) }
            .map { $0 - origin }
    }

    /// One ffprobe stream entry of the first video stream, e.g. "width" or "side_data_list".
    public static func probeVideoStream(_ path: String, entries: String) throws -> String {
        try runCommand("ffprobe", ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=\(entries)",
                                   "-show_entries", "stream_side_data", "-of", "default=nw=1", path])
    }

    /// Keeps only the first `fraction` of the file's bytes.
    public static func truncate(_ path: String, keeping fraction: Double) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(Int(Double(data.count) * fraction)).write(to: URL(fileURLWithPath: path))
    }

    /// Overwrites `length` bytes in the middle of the file with a fixed garbage pattern.
    public static func corruptMiddle(_ path: String, length: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = data.count / 2 - length / 2
        var state: UInt32 = 12345
        for i in start..<min(data.count, start + length) {
            state = state &* 1_103_515_245 &+ 12345
            data[i] = UInt8(truncatingIfNeeded: state >> 16)
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Zeroes the first `length` bytes of the JPEG images `range` (counted by their FF D8 FF start) inside a
    /// file of MJPEG packets, so the container stays intact but the decoder rejects those packets.
    public static func blankJPEGImages(_ path: String, _ range: Range<Int>, length: Int = 1500) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var starts: [Int] = []
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0xFF && bytes[i + 1] == 0xD8 && bytes[i + 2] == 0xFF { starts.append(i) }
            i += 1
        }
        for start in starts[range] {
            for j in start..<min(bytes.count, start + length) { bytes[j] = 0 }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}
