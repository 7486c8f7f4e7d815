import Foundation
import Testing
@testable import Stages

@Suite("Caption line breaking")
struct CaptionLineBreakerTests {
    let breaker = CaptionLineBreaker(maxChars: 42, maxLines: 2)

    func words(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    @Test("text that fits on one line stays on one line")
    func oneLine() {
        #expect(breaker.lines(words("A short caption.")) == ["A short caption."])
        let exactly42 = "abcdefghi abcdefghi abcdefghi abcdefghi ab"
        #expect(exactly42.count == 42)
        #expect(breaker.lines(words(exactly42)) == [exactly42])
    }

    @Test("two lines are balanced and within 42 characters")
    func balanced() {
        let lines = breaker.lines(words("We walked along the river until the sun went down behind the old mill"))
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.count <= 42 })
        #expect(abs(lines[0].count - lines[1].count) <= 12, "\(lines)")
        #expect(lines.joined(separator: " ") == "We walked along the river until the sun went down behind the old mill")
    }

    @Test("a break after punctuation is preferred over a slightly better balance")
    func punctuation() {
        // "After the storm, we walked" / "slowly down to the old harbour" would be better balanced.
        let lines = breaker.lines(words("After the storm, we walked slowly down to the old harbour"))
        #expect(lines == ["After the storm,", "we walked slowly down to the old harbour"])
    }

    @Test("no single word alone on a line, no line ending on an article, last line not a stub")
    func avoidsBadBreaks() {
        // A greedy fill would leave "Yes," alone or end the first line on "the".
        let text = "Yes, I think the committee should look again at the budget"
        let lines = breaker.lines(words(text))
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.split(separator: " ").count > 1 }, "\(lines)")
        #expect(!lines[0].hasSuffix(" the") && !lines[0].hasSuffix(" a"), "\(lines)")
        let shortest = lines.map(\.count).min()!, longest = lines.map(\.count).max()!
        #expect(3 * shortest >= longest, "\(lines)")
    }

    @Test("fits counts lines the way a greedy fill does")
    func fits() {
        #expect(breaker.fits(words(String(repeating: "word ", count: 16))))  // 16 * 5 - 1 = 79 characters
        #expect(!breaker.fits(words(String(repeating: "word ", count: 18))))  // 89 characters, 3 lines
        #expect(breaker.greedyLineCount([]) == 0)
        let three = CaptionLineBreaker(maxChars: 10, maxLines: 3)
        let lines = three.lines(words("one two three four five six"))
        #expect(lines == ["one two", "three four", "five six"])
        #expect(!three.fits(words("one two three four five six seven")))
    }
}
