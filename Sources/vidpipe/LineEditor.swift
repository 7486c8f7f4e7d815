import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small readline-style line editor over termios, for `vidpipe ask`'s interactive session: the
/// terminal is raw only while a line is read (so Ctrl-C during an answer stops vidpipe as usual).
///
/// Keys: ←/→ (Ctrl-B/Ctrl-F) move, Home/End (Ctrl-A/Ctrl-E), ↑/↓ (Ctrl-P/Ctrl-N) walk the history,
/// Backspace and Delete, Ctrl-K/Ctrl-U cut to the end/start, Ctrl-W cuts a word, Ctrl-L redraws,
/// Ctrl-C drops the line, Enter takes it, Ctrl-D on an empty line ends the input. Lines longer than
/// the terminal is wide, and wide (East Asian) characters, are shown but not measured exactly.
final class LineEditor {
    private let input: Int32
    private let output: Int32
    private(set) var history: [String] = []

    /// Nil when `input` is not a terminal.
    init?(input: Int32 = STDIN_FILENO, output: Int32? = nil) {
        guard isatty(input) == 1 else { return nil }
        self.input = input
        // Prompt and echo go where the user sees them: stdout, or stderr when stdout is redirected.
        self.output = output ?? (isatty(STDOUT_FILENO) == 1 ? STDOUT_FILENO : STDERR_FILENO)
    }

    func addHistory(_ line: String) {
        guard !line.isEmpty, history.last != line else { return }
        history.append(line)
    }

    /// One line as typed (without its newline), or nil at the end of input (Ctrl-D on an empty line).
    func readLine(prompt: String) -> String? {
        var original = termios()
        guard tcgetattr(input, &original) == 0 else { return plainLine(prompt: prompt) }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        raw.c_cflag |= tcflag_t(CS8)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(input, TCSANOW, &raw) == 0 else { return plainLine(prompt: prompt) }
        defer { tcsetattr(input, TCSANOW, &original) }
        var state = EditState(history: history)
        write(prompt)
        while true {
            guard let key = readKey() else {
                write("\r\n")
                return state.buffer.isEmpty ? nil : String(state.buffer)
            }
            switch state.apply(key) {
            case .redraw: redraw(prompt, state)
            case .none: break
            case .bell: write("\u{07}")
            case .accept:
                redraw(prompt, state, cursorAtEnd: true)
                write("\r\n")
                return String(state.buffer)
            case .endOfInput:
                write("\r\n")
                return nil
            case .cancel:
                redraw(prompt, state, cursorAtEnd: true)
                write("^C\r\n")
                state = EditState(history: history)
                write(prompt)
            case .clearScreen:
                write("\u{1B}[H\u{1B}[2J")
                redraw(prompt, state)
            }
        }
    }

    /// Without termios (should not happen on a terminal): a plain read of one line.
    private func plainLine(prompt: String) -> String? {
        write(prompt)
        return Swift.readLine(strippingNewline: true)
    }

    private func redraw(_ prompt: String, _ state: EditState, cursorAtEnd: Bool = false) {
        var text = "\r" + prompt + String(state.buffer) + "\u{1B}[K"
        // The cursor goes back by terminal columns, not characters: 日 takes two, a combining accent none.
        let back = cursorAtEnd ? 0 : state.buffer[state.cursor...].reduce(0) { $0 + Self.columns($1) }
        if back > 0 { text += "\u{1B}[\(back)D" }
        write(text)
    }

    /// How many terminal columns `character` takes: 2 for East Asian wide and fullwidth characters and emoji
    /// shown as pictures, 0 for controls and lone combining marks or format characters, else 1.
    static func columns(_ character: Character) -> Int {
        guard let first = character.unicodeScalars.first else { return 0 }
        if character.unicodeScalars.contains(where: { $0.properties.isEmojiPresentation }) { return 2 }
        switch first.properties.generalCategory {
        case .control, .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        return wideRanges.contains { $0.contains(first.value) } ? 2 : 1
    }

    /// East Asian Wide and Fullwidth blocks (Hangul Jamo, CJK, kana, Hangul syllables, fullwidth forms...).
    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
        0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60,
        0xFFE0...0xFFE6, 0x1B000...0x1B2FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(output, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
        bytes.removeAll()
    }

    private func readByte(timeoutMs: Int32 = -1) -> UInt8? {
        if timeoutMs >= 0 {
            var fds = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            guard poll(&fds, 1, timeoutMs) == 1 else { return nil }
        }
        var byte: UInt8 = 0
        while true {
            let n = Glibc.read(input, &byte, 1)
            if n == 1 { return byte }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    /// The next key: a control byte, an escape sequence (arrows, Home, End, Delete) or a character
    /// (UTF-8 decoded). Nil at the end of input.
    private func readKey() -> Key? {
        guard let byte = readByte() else { return nil }
        switch byte {
        case 0x1B:
            // An escape sequence arrives at once; a lone Esc is followed by nothing for a while.
            guard let next = readByte(timeoutMs: 50) else { return .control(0x1B) }
            guard next == UInt8(ascii: "[") || next == UInt8(ascii: "O") else { return .control(0x1B) }
            var body: [UInt8] = []
            while let b = readByte(timeoutMs: 50) {
                body.append(b)
                if (0x40...0x7E).contains(b) { break }
                if body.count > 8 { break }
            }
            switch String(decoding: body, as: UTF8.self) {
            case "A": return .up
            case "B": return .down
            case "C": return .right
            case "D": return .left
            case "H", "1~", "7~": return .home
            case "F", "4~", "8~": return .end
            case "3~": return .delete
            default: return .control(0x1B)
            }
        case 0x00..<0x20, 0x7F:
            return .control(byte)
        default:
            var bytes = [byte]
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            while bytes.count < length, let b = readByte(timeoutMs: 100) { bytes.append(b) }
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// What the editor reads: a control byte, a named key, or typed text.
enum Key: Equatable {
    case control(UInt8)
    case text(String)
    case up, down, left, right, home, end, delete
}

/// The line being edited, its cursor and the history walk: pure, so every key's effect is plain.
struct EditState {
    enum Effect { case none, redraw, bell, accept, endOfInput, cancel, clearScreen }

    var buffer: [Character] = []
    var cursor = 0
    /// The history, with the line being typed as its last entry while walking it.
    private var lines: [[Character]]
    private var position: Int

    init(history: [String]) {
        lines = history.map { Array($0) } + [[]]
        position = lines.count - 1
    }

    mutating func apply(_ key: Key) -> Effect {
        switch key {
        case .text(let text):
            let characters = Array(text.filter { !$0.isNewline })
            guard !characters.isEmpty else { return .none }
            buffer.insert(contentsOf: characters, at: cursor)
            cursor += characters.count
            return .redraw
        case .left: return move(to: cursor - 1)
        case .right: return move(to: cursor + 1)
        case .home: return move(to: 0)
        case .end: return move(to: buffer.count)
        case .up: return walk(-1)
        case .down: return walk(+1)
        case .delete: return deleteForward()
        case .control(let byte):
            switch byte {
            case 0x0D, 0x0A: return .accept                                   // Enter
            case 0x04: return buffer.isEmpty ? .endOfInput : deleteForward()  // Ctrl-D
            case 0x03: return .cancel                                         // Ctrl-C
            case 0x7F, 0x08:                                                  // Backspace, Ctrl-H
                guard cursor > 0 else { return .bell }
                buffer.remove(at: cursor - 1)
                cursor -= 1
                return .redraw
            case 0x01: return move(to: 0)                                     // Ctrl-A
            case 0x05: return move(to: buffer.count)                          // Ctrl-E
            case 0x02: return move(to: cursor - 1)                            // Ctrl-B
            case 0x06: return move(to: cursor + 1)                            // Ctrl-F
            case 0x10: return walk(-1)                                        // Ctrl-P
            case 0x0E: return walk(+1)                                        // Ctrl-N
            case 0x0B:                                                        // Ctrl-K
                buffer.removeSubrange(cursor...)
                return .redraw
            case 0x15:                                                        // Ctrl-U
                buffer.removeSubrange(..<cursor)
                cursor = 0
                return .redraw
            case 0x17:                                                        // Ctrl-W
                var start = cursor
                while start > 0 && buffer[start - 1] == " " { start -= 1 }
                while start > 0 && buffer[start - 1] != " " { start -= 1 }
                buffer.removeSubrange(start..<cursor)
                cursor = start
                return .redraw
            case 0x0C: return .clearScreen                                    // Ctrl-L
            case 0x09:                                                        // Tab: a space
                return apply(.text(" "))
            default: return .bell
            }
        }
    }

    private mutating func move(to target: Int) -> Effect {
        guard (0...buffer.count).contains(target) else { return .bell }
        cursor = target
        return .redraw
    }

    private mutating func deleteForward() -> Effect {
        guard cursor < buffer.count else { return .bell }
        buffer.remove(at: cursor)
        return .redraw
    }

    /// Up (-1) or down (+1) the history; the edits to the line being typed are kept while walking.
    private mutating func walk(_ step: Int) -> Effect {
        let target = position + step
        guard lines.indices.contains(target) else { return .bell }
        lines[position] = buffer
        position = target
        buffer = lines[position]
        cursor = buffer.count
        return .redraw
    }
}
