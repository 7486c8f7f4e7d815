/// Which upstream frames a per-frame model (OCR, captioning) works on and which reuse an earlier
/// result: a frame whose perceptual hash is within `maxDistance` bits of a frame already done (earlier
/// in time, same video) takes that frame's result instead of being processed again.
struct FrameReusePlan: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        /// The upstream frame's time.
        var time: Double
        /// The time of the read frame whose text this frame gets (equal to `time` when it is read itself).
        var source: Double
        var isRead: Bool { source == time }
    }

    /// One entry per upstream frame, in time order (frames at the same time collapse to one).
    let entries: [Entry]
    /// Times of the frames to decode and read, ascending.
    let readTimes: [Double]

    /// `maxDistance` < 0 turns reuse off: every frame is read.
    init(frames: [SampledFrame], maxDistance: Int) {
        var entries: [Entry] = []
        var read: [(time: Double, hash: UInt64)] = []
        for frame in frames.sorted(by: { $0.time < $1.time }) where entries.last?.time != frame.time {
            // The nearest read frame by hash; on a tie the latest, whose text is likeliest still on screen.
            var best: (time: Double, distance: Int)?
            if maxDistance >= 0 {
                for candidate in read.reversed() {
                    let distance = PerceptualHash.hammingDistance(candidate.hash, frame.phash)
                    if distance <= maxDistance && distance < (best?.distance ?? Int.max) {
                        best = (candidate.time, distance)
                    }
                }
            }
            if let best {
                entries.append(Entry(time: frame.time, source: best.time))
            } else {
                entries.append(Entry(time: frame.time, source: frame.time))
                read.append((frame.time, frame.phash))
            }
        }
        self.entries = entries
        self.readTimes = read.map(\.time)
    }

    /// The read time a decoded frame was delivered for: the one nearest its target time.
    func readTime(nearest target: Double) -> Double? {
        var low = 0, high = readTimes.count
        while low < high {
            let mid = (low + high) / 2
            if readTimes[mid] < target { low = mid + 1 } else { high = mid }
        }
        let neighbours = [low - 1, low].filter { readTimes.indices.contains($0) }
        return neighbours.map { readTimes[$0] }.min { abs($0 - target) < abs($1 - target) }
    }
}
