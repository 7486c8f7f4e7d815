import Foundation

/// When and how long to wait before resending.
struct RetryPolicy: Sendable {
    var retries: Int
    var backoffBase: Double
    var maxBackoff: Double
    var maxRetryAfter: Double

    /// 429 and 5xx are worth another try; other statuses are answers.
    static func isRetryable(status: Int) -> Bool { status == 429 || (500..<600).contains(status) }

    /// Full jitter: uniformly random in 0…min(maxBackoff, backoffBase·2^retryIndex) seconds.
    func backoff(retryIndex: Int) -> Double {
        let ceiling = min(maxBackoff, backoffBase * pow(2, Double(min(retryIndex, 30))))
        return ceiling > 0 ? Double.random(in: 0...ceiling) : 0
    }

    /// The wait before the next attempt after an answer with `status`: the server's `Retry-After` on 429/503
    /// (cut to `maxRetryAfter`), else the jittered backoff.
    func delay(retryIndex: Int, status: Int?, retryAfter: String?, now: Date = Date()) -> Double {
        if let status, status == 429 || status == 503, let retryAfter,
           let seconds = Self.parseRetryAfter(retryAfter, now: now) {
            return min(maxRetryAfter, seconds)
        }
        return backoff(retryIndex: retryIndex)
    }

    /// `Retry-After` as delta-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`); nil when neither.
    static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
