import Foundation

/// A folder that looks like a small real archive: good clips, the bad inputs the spine issue names,
/// and files a directory scan must pass over.
public enum ArchiveFixture {
    public struct Layout {
        /// Files that must end as done.
        public var good: [String]
        /// Files that must end as failed, with a substring of the expected reason.
        public var bad: [String: String]
        /// Files the scan must not pick up.
        public var ignored: [String]
    }

    public static func make(in dir: String) throws -> Layout {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/sub/.hidden", withIntermediateDirectories: true)
        // good: cuts + audio (mp4), no audio (mkv), audio only (m4a), VP9 WebM named .mp4
        try Fixture.hardCuts(at: dir + "/cuts.mp4", shots: 3, shotSeconds: 1.5, audio: true)
        try Fixture.hardCuts(at: dir + "/sub/silent.mkv", shots: 2, shotSeconds: 1.5)
        try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=2", "-c:a", "aac"], output: dir + "/sub/tone.m4a")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-c:v", "libvpx-vp9", "-deadline", "realtime",
                    "-cpu-used", "8", "-f", "webm"], output: dir + "/webm-named.mp4")
        // bad: zero bytes, text named .mkv, an MP4 whose moov (at the end) was cut off
        fm.createFile(atPath: dir + "/empty.mp4", contents: Data())
        try Data("this is not a video\n".utf8).write(to: URL(fileURLWithPath: dir + "/notes.mkv"))
        let whole = dir + "/sub/.whole-for-truncation.mp4"
        try Fixture.hardCuts(at: whole, shots: 2, shotSeconds: 2)  // non-faststart: moov at the end
        let bytes = try Data(contentsOf: URL(fileURLWithPath: whole))
        try bytes.prefix(bytes.count * 6 / 10).write(to: URL(fileURLWithPath: dir + "/truncated.mp4"))
        try fm.removeItem(atPath: whole)
        // ignored: hidden files and folders, sidecars, images
        try Data("1\n00:00:00,000 --> 00:00:01,000\nhi\n".utf8).write(to: URL(fileURLWithPath: dir + "/cuts.srt"))
        try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/cuts.json"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/.DS_Store"))
        try fm.copyItem(atPath: dir + "/cuts.mp4", toPath: dir + "/sub/.hidden/copy.mp4")
        try fm.copyItem(atPath: dir + "/cuts.mp4", toPath: dir + "/.hidden-clip.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:duration=0.04", "-frames:v", "1"], output: dir + "/poster.jpg")
        return Layout(
            good: ["cuts.mp4", "sub/silent.mkv", "sub/tone.m4a", "webm-named.mp4"].map { dir + "/" + $0 },
            bad: [dir + "/empty.mp4": "empty file", dir + "/notes.mkv": "not a readable media file",
                  dir + "/truncated.mp4": "not a readable media file"],
            ignored: ["cuts.srt", "cuts.json", ".DS_Store", "sub/.hidden/copy.mp4", ".hidden-clip.mp4", "poster.jpg"].map { dir + "/" + $0 })
    }
}
