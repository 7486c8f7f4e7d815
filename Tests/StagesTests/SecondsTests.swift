import Testing
@testable import Stages

@Suite("Durations")
struct SecondsTests {
    @Test func unitsAndCompounds() {
        let cases: [(String, Double?)] = [
            ("90", 90), ("0.5", 0.5), ("500ms", 0.5), ("1.5s", 1.5), ("2m", 120), ("1h", 3600), (" 6h ", 21600),
            ("5h50m", 21000), ("1h30m15s", 5415), ("2m30s", 150), ("1m500ms", 60.5), ("1h 30m", 5400),
            ("30m1h", nil), ("1h1h", nil), ("5x", nil), ("-3s", nil), ("", nil), ("h", nil), ("1.2.3s", nil), ("ms", nil),
        ]
        for (text, expected) in cases {
            #expect(Seconds.parse(text) == expected, "\(text)")
        }
    }
}
