import Foundation
@testable import OpenAIProvider
import Testing

@Suite("Retry timing")
struct RetryPolicyTests {
    let policy = RetryPolicy(retries: 3, backoffBase: 0.5, maxBackoff: 4, maxRetryAfter: 60)

    @Test func retryAfterReadsSecondsAndHTTPDates() {
        let now = Date(timeIntervalSince1970: 1_445_412_000)  // Wed, 21 Oct 2015 07:20:00 GMT
        #expect(RetryPolicy.parseRetryAfter("7", now: now) == 7)
        #expect(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == 480)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
        #expect(policy.delay(retryIndex: 0, status: 429, retryAfter: "120", now: now) == 60)
        #expect(policy.delay(retryIndex: 0, status: 503, retryAfter: "2", now: now) == 2)
        // Only 429 and 503 carry a Retry-After worth honouring.
        #expect(policy.delay(retryIndex: 0, status: 500, retryAfter: "30", now: now) <= 0.5)
    }

    @Test func backoffIsFullJitterUnderACappedExponential() {
        for retry in 0..<8 {
            let ceiling = min(4, 0.5 * pow(2, Double(retry)))
            for _ in 0..<50 {
                let wait = policy.backoff(retryIndex: retry)
                #expect(wait >= 0 && wait <= ceiling)
            }
        }
        #expect(RetryPolicy.isRetryable(status: 429))
        #expect(RetryPolicy.isRetryable(status: 503))
        #expect(!RetryPolicy.isRetryable(status: 404))
    }
}
