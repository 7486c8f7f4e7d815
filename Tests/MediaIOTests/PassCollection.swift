import MediaIO

/// Runs a VideoPass and gathers what it delivered, per request.
func collectFrames(_ path: String, _ requests: [FrameRequest]) throws -> (frames: [[VideoFrame]], report: PassReport) {
    let pass = try VideoPass(path: path)
    var frames = Array(repeating: [VideoFrame](), count: requests.count)
    let report = try pass.run(requests) { index, frame in frames[index].append(frame) }
    return (frames, report)
}

/// Runs an AudioPass and gathers its chunks.
func collectAudio(_ path: String, chunkSeconds: Double = 2) throws -> (chunks: [AudioChunk], report: PassReport) {
    let pass = try AudioPass(path: path)
    var chunks: [AudioChunk] = []
    let report = try pass.run(chunkSeconds: chunkSeconds) { chunks.append($0) }
    return (chunks, report)
}
