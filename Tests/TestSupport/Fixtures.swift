import Foundation

/// A temporary directory removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {  // immutable after init
    public let url: URL
    public init(prefix: String = "vidpipe-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: url) }
}

public struct CommandFailure: Error, CustomStringConvertible {
    public var command: String
    public var status: Int32
    public var stderr: String
    public var description: String { "\(command) exited \(status): \(stderr.suffix(2000))" }
}

/// What a finished process printed and how it exited.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `executable` (an absolute path, or a name looked up on PATH) to completion, capturing both streams.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: String? = nil) throws -> ProcessOutput {
    let process = Process()
    if executable.hasPrefix("/") {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
    } else {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
    }
    if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes concurrently so neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessOutput(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs a program and returns its stdout; throws with stderr when it fails.
@discardableResult
public func runCommand(_ program: String, _ arguments: [String], environment: [String: String]? = nil,
                       currentDirectory: String? = nil) throws -> String {
    let result = try runProcess(program, arguments, environment: environment, currentDirectory: currentDirectory)
    if result.status != 0 {
        throw CommandFailure(command: ([program] + arguments).joined(separator: " "), status: result.status, stderr: result.stderr)
    }
    return result.stdout
}

/// Generates media with the ffmpeg CLI: `ffmpeg -v error -y ARGS... OUTPUT`.
public func ffmpeg(_ arguments: [String], output: String) throws {
    try FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try runCommand("ffmpeg", ["-v", "error", "-nostdin", "-y"] + arguments + [output])
}

public enum Fixture {
    /// A clip of `shots` hard-cut shots of `shotSeconds` each, every shot a different test pattern,
    /// so cuts are at k * shotSeconds. Optional sine audio. Clips with different `variant`s differ in content.
    public static func hardCuts(at path: String, shots: Int = 3, shotSeconds: Double = 2, size: String = "320x240",
                                fps: Int = 25, audio: Bool = false, variant: Int = 0, codec: [String] = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]) throws {
        let sources = ["testsrc2", "smptebars", "mandelbrot", "rgbtestsrc", "testsrc", "cellauto"]
        var args: [String] = []
        for i in 0..<shots {
            let src = sources[(i + variant) % sources.count]
            args += ["-f", "lavfi", "-t", "\(shotSeconds)", "-i", "\(src)=size=\(size):rate=\(fps)"]
        }
        var filter = (0..<shots).map { "[\($0):v]" }.joined() + "concat=n=\(shots):v=1:a=0[v]"
        var maps = ["-map", "[v]"]
        if audio {
            args += ["-f", "lavfi", "-i", "sine=frequency=\(440 + 20 * variant):sample_rate=44100:duration=\(Double(shots) * shotSeconds)"]
            maps += ["-map", "\(shots):a", "-c:a", "aac"]
            filter += ""
        }
        try ffmpeg(args + ["-filter_complex", filter] + maps + codec, output: path)
    }
}
