import MediaIO
import Testing
import TestSupport

@Suite struct ProbeTests {
    @Test func h264AACMP4() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("clip.mp4")
        try MediaFixture.h264AAC(at: path, seconds: 3)
        let info = try MediaProbe.probe(path: path)
        #expect(abs(info.duration - 3) < 0.1)
        #expect(info.hasVideo && info.hasAudio)
        #expect(info.videoCodec == "h264")
        #expect(info.audioCodec == "aac")
        #expect(info.width == 320 && info.height == 240)
        #expect(info.rotation == 0)
        #expect(abs(info.fps - 25) < 0.01)
        #expect(info.audioSampleRate == 44100)
        #expect(info.audioChannels == 1)
        #expect(info.frameCountHint == 75)
        #expect(info.formatName.contains("mp4"))
    }

    @Test func webmNamedMP4IsDetectedByContent() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("really-webm.mp4")
        try MediaFixture.vp9WebM(at: path, seconds: 2)
        let info = try MediaProbe.probe(path: path)
        #expect(info.formatName.contains("webm"))
        #expect(info.videoCodec == "vp9")
        #expect(info.hasVideo && !info.hasAudio)
        #expect(abs(info.duration - 2) < 0.1)
        #expect(info.width == 320 && info.height == 240)
        #expect(abs(info.fps - 25) < 0.01)
    }

    @Test func audioOnlyM4A() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("tone.m4a")
        try MediaFixture.sineM4A(at: path, seconds: 3, sampleRate: 48000)
        let info = try MediaProbe.probe(path: path)
        #expect(!info.hasVideo && info.hasAudio)
        #expect(info.audioCodec == "aac")
        #expect(info.audioSampleRate == 48000)
        #expect(abs(info.duration - 3) < 0.1)
        #expect(info.width == 0 && info.height == 0 && info.fps == 0)
        #expect(throws: MediaError.self) { try VideoPass(path: path) }
        do {
            _ = try VideoPass(path: path)
        } catch let error as MediaError {
            #expect(error.code == 0 && error.message == "no video stream")
        }
    }

    @Test func clipWithoutAudio() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("silent.mp4")
        try Fixture.hardCuts(at: path, shots: 2, shotSeconds: 1)
        let info = try MediaProbe.probe(path: path)
        #expect(info.hasVideo && !info.hasAudio)
        #expect(info.audioCodec == nil && info.audioSampleRate == nil)
        #expect(abs(info.duration - 2) < 0.1)
        do {
            _ = try AudioPass(path: path)
            Issue.record("AudioPass opened a file without audio")
        } catch let error as MediaError {
            #expect(error.message == "no audio stream")
        }
    }

    @Test func coverArtIsNotAVideoStream() throws {
        let dir = try TemporaryDirectory()
        let cover = dir.path("cover.png"), path = dir.path("song.m4a")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1"], output: cover)
        try ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-i", cover, "-map", "0:a", "-map", "1:v",
                    "-c:a", "aac", "-c:v", "png", "-disposition:v:0", "attached_pic"], output: path)
        let streams = try runCommand("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type",
                                                 "-of", "csv=p=0", path])
        #expect(streams.contains("video"))
        let info = try MediaProbe.probe(path: path)
        #expect(!info.hasVideo && info.hasAudio)
        #expect(info.videoCodec == nil && info.width == 0)
        #expect(throws: MediaError.self) { try VideoPass(path: path) }
    }
}
