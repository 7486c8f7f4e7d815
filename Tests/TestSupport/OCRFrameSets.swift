/// The burned-in-text frames the OCR tests read: known phrases at different sizes and positions
/// over plain backgrounds and over testsrc2's busy colour pattern.
public enum OCRFrameSets {
    public typealias Line = TextFrameFixture.Line

    public static let plain: [TextFrameFixture] = [
        TextFrameFixture(name: "plain-white", background: "color=c=white", lines: [
            Line("The quick brown fox jumps over the lazy dog", size: 40, x: 60, y: 90),
            Line("Chapter seven summary and next steps", size: 28, x: 300, y: 420),
            Line("Published in March 2024 by the editorial team", size: 22, x: 120, y: 620),
        ]),
        TextFrameFixture(name: "plain-navy", background: "color=c=0x1a237e", lines: [
            Line("Quarterly revenue grew by 12 percent", size: 56, x: 80, y: 200, color: "white"),
            Line("Source annual report", size: 24, x: 80, y: 560, color: "white"),
        ]),
        TextFrameFixture(name: "plain-small", background: "color=c=0xdddddd", width: 640, height: 360, lines: [
            Line("Breaking news from the city council", size: 20, x: 40, y: 60),
            Line("Roads will close on Friday at noon", size: 16, x: 40, y: 280),
        ]),
    ]

    public static let busy: [TextFrameFixture] = [
        TextFrameFixture(name: "busy-caption", background: "testsrc2", lines: [
            Line("Meet the engineers behind the launch", size: 40, x: 80, y: 560, color: "white", boxed: true),
        ]),
        TextFrameFixture(name: "busy-title", background: "testsrc2", lines: [
            Line("Welcome to the annual science fair", size: 48, x: 100, y: 80, color: "white", boxed: true),
            Line("Live from the main stage", size: 36, x: 400, y: 380, color: "white"),
        ]),
        TextFrameFixture(name: "busy-small", background: "testsrc2", width: 640, height: 360, lines: [
            Line("Weather update for the weekend", size: 22, x: 30, y: 300, color: "white", boxed: true),
        ]),
    ]

    /// Small text on small frames, where Tesseract needs the image doubled.
    public static let small: [TextFrameFixture] = [
        TextFrameFixture(name: "small-gray", background: "color=c=0xdddddd", width: 640, height: 360, lines: [
            Line("Interview with the festival organisers", size: 10, x: 30, y: 40),
            Line("Tickets are available from Monday", size: 9, x: 200, y: 200),
            Line("Filmed on location in Lisbon", size: 11, x: 60, y: 320),
        ]),
        TextFrameFixture(name: "small-white", background: "color=c=white", width: 480, height: 270, lines: [
            Line("Episode four of the series", size: 8, x: 20, y: 30),
            Line("Next week on the programme", size: 9, x: 120, y: 220),
        ]),
    ]
}
