import Foundation
import OpenAITestServer
import Testing
import TestSupport

/// `vidpipe ask` conversations: kept in the store, continued with `--continue`, folded to fit the
/// context, and the interactive session on a real pseudo-terminal.
@Suite("ask: conversations", .serialized)
struct AskConversationTests {
    @Test("a question starts a conversation; --continue sends the earlier turns and adds to it; without it a new one starts")
    func continueCarriesTheHistory() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)

        let first = try AskFixture.vidpipe(["ask", "harbour.mp4", "When are the colour bars shown?", "--pipeline", a.pipeline, "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(AskFixture.json(first)["answer"] as? String == "Answer after 0 earlier questions.")
        let id = try #require(AskFixture.json(first)["conversation_id"] as? Int)
        #expect(try AskFixture.turns(a.db, id) == ["0|user|When are the colour bars shown?", "1|assistant|Answer after 0 earlier questions."])
        #expect(try CLITests.count(a.db, "SELECT video_id FROM conversations WHERE id = \(id)") == 1)

        server.resetRecords()
        let second = try AskFixture.vidpipe(["ask", "harbour.mp4", "What is said then?", "--continue", "--pipeline", a.pipeline, "--json"])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("(continuing the conversation about \(a.harbour): 1 earlier turn)"), "\(second.stderr)")
        #expect(AskFixture.json(second)["conversation_id"] as? Int == id)
        #expect(AskFixture.json(second)["answer"] as? String == "Answer after 1 earlier questions.")
        // On the wire: system, the earlier question, its answer with what it cited, then the question with the record.
        let request = try #require(server.requests(path: "/v1/chat/completions").first)
        let messages = AskFixture.messages(request)
        #expect(messages.map { $0["role"] as? String ?? "" } == ["system", "user", "assistant", "user"])
        #expect(AskFixture.text(messages[0]).contains("This is a conversation"))
        #expect(AskFixture.text(messages[1]) == "When are the colour bars shown?")
        #expect(AskFixture.text(messages[2]) == "Answer after 0 earlier questions.\n(cited: 2.0–4.0 s)")
        #expect(AskFixture.text(messages[3]).contains("<video_record>"))
        #expect(AskFixture.text(messages[3]).contains("What is said then?"))
        #expect(try AskFixture.turns(a.db, id).count == 4)

        // Without --continue: a new conversation, no history sent.
        server.resetRecords()
        let fresh = try AskFixture.vidpipe(["ask", "harbour.mp4", "Who speaks?", "--pipeline", a.pipeline, "--json"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        let freshID = try #require(AskFixture.json(fresh)["conversation_id"] as? Int)
        #expect(freshID != id)
        #expect(AskFixture.messages(try #require(server.requests(path: "/v1/chat/completions").first)).count == 2)
        // --continue takes the latest conversation about that video; another video has none yet.
        let next = try AskFixture.vidpipe(["ask", "harbour.mp4", "And then?", "--continue", "--pipeline", a.pipeline, "--json"])
        #expect(AskFixture.json(next)["conversation_id"] as? Int == freshID)
        let other = try AskFixture.vidpipe(["ask", "studio.mp4", "And then?", "--continue", "--pipeline", a.pipeline])
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stderr.contains("(no earlier conversation about \(a.studio): this starts one)"), "\(other.stderr)")
        #expect(other.stdout.contains("Answer after 0 earlier questions."))
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations") == 3)
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations WHERE video_id IS NULL") == 0)
    }

    @Test("when the history outgrows --history-tokens the oldest turns are summarised, kept as a summary turn, and said so")
    func oldTurnsAreSummarised() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler(longAnswers: true))
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)
        func ask(_ q: String, _ more: [String] = ["--continue"]) throws -> ProcessOutput {
            let r = try AskFixture.vidpipe(["ask", "harbour.mp4", q, "--pipeline", a.pipeline, "--history-tokens", "100"] + more)
            #expect(r.status == 0, "\(r.stderr)")
            return r
        }
        _ = try ask("When are the colour bars shown?", [])
        let second = try ask("How long do they stay?")
        #expect(!second.stderr.contains("summarised"), "one earlier turn fits: \(second.stderr)")
        server.resetRecords()
        let third = try ask("What comes after them?")
        #expect(third.stderr.contains("(2 earlier turns summarised to fit the context)"), "\(third.stderr)")
        // One summary request, then the question with the summary in the system message and no earlier turns.
        let chats = server.requests(path: "/v1/chat/completions")
        #expect(chats.map { AskFixture.schemaName($0) ?? "summary" } == ["summary", "answer"])
        #expect(AskFixture.text(AskFixture.messages(chats[0])[1]).contains("question: When are the colour bars shown?"))
        let asked = AskFixture.messages(chats[1])
        #expect(asked.count == 2)
        #expect(AskFixture.text(asked[0]).contains("SUMMARY-OF-EARLIER: bars at 2-4 s were asked about."))
        // The store keeps every turn, the summary right after the turns it stands for.
        let turns = try AskFixture.turns(a.db, 1)
        #expect(turns.map { $0.split(separator: "|")[1] } == ["user", "assistant", "user", "assistant", "summary", "user", "assistant"])
        #expect(turns[4] == "4|summary|SUMMARY-OF-EARLIER: bars at 2-4 s were asked about.")
        #expect(turns[5] == "5|user|What comes after them?")

        // The next question goes with the summary and the turn after it: they fit.
        server.resetRecords()
        let fourth = try ask("Is there speech?")
        #expect(!fourth.stderr.contains("summarised"), "\(fourth.stderr)")
        let last = AskFixture.messages(try #require(server.requests(path: "/v1/chat/completions").first))
        #expect(last.map { $0["role"] as? String ?? "" } == ["system", "user", "assistant", "user"])
        #expect(AskFixture.text(last[1]) == "What comes after them?")
    }

    @Test("a model that cannot summarise: the oldest turns are dropped for that question, said so, nothing folded is kept")
    func turnsDroppedWhenTheModelCannotSummarise() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler(longAnswers: true, failSummaries: true))
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)
        for (i, q) in ["When are the colour bars shown?", "How long do they stay?", "What comes after them?"].enumerated() {
            let r = try AskFixture.vidpipe(["ask", "harbour.mp4", q, "--pipeline", a.pipeline, "--history-tokens", "100"]
                                           + (i == 0 ? [] : ["--continue"]))
            #expect(r.status == 0, "\(r.stderr)")
            if i == 2 {
                #expect(r.stderr.contains("(2 earlier turns dropped to fit the context; the model could not summarise them:"), "\(r.stderr)")
            }
        }
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversation_turns WHERE role = 'summary'") == 0)
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversation_turns") == 6)
    }

    @Test("no question and stdin not a terminal: a usage error (exit 1) that says what to do")
    func noQuestionWithoutATerminal() throws {
        try CLITests.requireCurrentBinary()
        let r = try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" < /dev/null", CLITests.binary, "ask", "clip.mp4", "--pipeline", "p.yml"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no question given, and stdin is not a terminal: give the question as an argument"), "\(r.stderr)")
        let all = try runProcess("/bin/sh", ["-c", "exec \"$0\" \"$@\" < /dev/null", CLITests.binary, "ask", "--all", "--pipeline", "p.yml"])
        #expect(all.status == 1)
        // Other usage errors exit 1, as everywhere in vidpipe.
        let both = try CLITests.vidpipe(["ask", "--all", "clip.mp4", "What?", "--pipeline", "p.yml"])
        #expect(both.status == 1)
        #expect(both.stderr.contains("with --all give only the question"), "\(both.stderr)")
        let shots = try CLITests.vidpipe(["ask", "--all", "What?", "--shots", "3", "--pipeline", "p.yml"])
        #expect(shots.status == 1)
        #expect(shots.stderr.contains("--shots and --no-images are about one video's shots; --all sends moments"), "\(shots.stderr)")
        let moments = try CLITests.vidpipe(["ask", "clip.mp4", "What?", "--moments", "3", "--pipeline", "p.yml"])
        #expect(moments.stderr.contains("--moments goes with --all"), "\(moments.stderr)")
    }

    @Test(.enabled(if: ReliabilityTests.isRoot, "needs root to act as another user"))
    func readOnlyStore() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)
        _ = try runCommand("chmod", ["755", dir.url.path])
        // As `nobody` (who cannot write the store or its folder), with the key in its environment.
        func asNobody(_ arguments: [String]) throws -> ProcessOutput {
            _ = try ReliabilityTests.asNobody(["--version"], in: dir.url.path)  // installs the binary's copy
            return try runProcess("runuser", ["-u", "nobody", "--", "/usr/bin/env", "VIDPIPE_TEST_KEY=\(AskFixture.apiKey)",
                                              dir.path("vidpipe-bin")] + arguments, currentDirectory: dir.url.path)
        }
        let cont = try asNobody(["ask", "harbour.mp4", "Why?", "--continue", "--pipeline", "p.yml"])
        #expect(cont.status == 1)
        #expect(cont.stderr.contains("error: the store \(a.db) is read-only; --continue keeps the conversation in it"), "\(cont.stderr)")
        #expect(server.requests.isEmpty)
        let plain = try asNobody(["ask", "harbour.mp4", "Why?", "--pipeline", "p.yml", "--json"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stderr.contains("(the store is read-only: this conversation is not kept)"))
        #expect(AskFixture.json(plain)["answer"] as? String == "Answer after 0 earlier questions.")
        #expect(AskFixture.json(plain)["conversation_id"] is NSNull)
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations") == 0)
    }

    /// Drives the binary through a pseudo-terminal (Python's pty module): waits for what it prints,
    /// sends keys, and reports the exit status and everything the terminal showed.
    static let ptyDriver = #"""
        import json, os, pty, select, sys, time
        steps = json.loads(sys.argv[1]); argv = sys.argv[2:]
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(argv[0], argv)
        out = b""
        def pump(timeout):
            global out
            r, _, _ = select.select([fd], [], [], timeout)
            if not r: return False
            try: chunk = os.read(fd, 4096)
            except OSError: chunk = b""
            if not chunk: return None
            out += chunk
            return True
        for kind, value, count in steps:
            if kind == "send":
                os.write(fd, value.encode()); time.sleep(0.05)
            else:
                end = time.time() + 60
                while out.count(value.encode()) < count:
                    if time.time() > end or pump(end - time.time()) is None:
                        print(json.dumps({"status": -1, "output": out.decode("utf-8", "replace")})); sys.exit(0)
        end = time.time() + 30
        while time.time() < end and pump(end - time.time()) is not None: pass
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status), "output": out.decode("utf-8", "replace")}))
        """#

    static func throughPTY(_ steps: [(String, String, Int)], _ arguments: [String]) throws -> (status: Int, output: String) {
        try CLITests.requireCurrentBinary()
        let plan = String(decoding: try JSONSerialization.data(withJSONObject: steps.map { [$0.0, $0.1, $0.2] }), as: UTF8.self)
        let r = try runProcess("python3", ["-c", ptyDriver, plan, CLITests.binary] + arguments,
                               environment: ["VIDPIPE_TEST_KEY": AskFixture.apiKey, "TERM": "xterm"])
        let result = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return (result?["status"] as? Int ?? -2, result?["output"] as? String ?? r.stderr)
    }

    @Test("on a terminal, no question opens a session: line editing, ↑ recalls a question, each line a turn of one conversation, Ctrl-D leaves")
    func interactiveSession() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)
        let (status, output) = try Self.throughPTY([
            ("expect", "\nask> ", 1),
            // Fresh prompts follow a newline (redraws start with \r). "bars shownX", Backspace, Ctrl-A, insert,
            // ← ← (before the "e" of "the"), Delete, → →, Ctrl-E, Enter.
            ("send", "bars shownX\u{7F}", 0), ("send", "\u{01}When are the ", 0),
            ("send", "\u{1B}[D\u{1B}[D", 0), ("send", "\u{1B}[3~", 0), ("send", "\u{1B}[C\u{1B}[C", 0),
            ("send", "\u{05}\r", 0),
            ("expect", "\nask> ", 2),
            // ↑ recalls the question; Enter asks it again, in the same conversation.
            ("send", "\u{1B}[A\r", 0),
            ("expect", "\nask> ", 3),
            // A line typed (wide characters: the cursor goes back by columns), Ctrl-A, dropped with Ctrl-C; then
            // Ctrl-D on the empty line leaves.
            ("send", "日本 x", 0), ("send", "\u{01}", 0), ("send", "\u{03}", 0),
            ("expect", "\nask> ", 4),
            ("send", "\u{04}", 0),
        ], ["ask", "harbour.mp4", "--pipeline", a.pipeline])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Answer after 0 earlier questions."), "\(output)")
        #expect(output.contains("Answer after 1 earlier questions."), "\(output)")
        #expect(output.contains("00:00:02.000 – 00:00:04.000  \(a.harbour)"))
        #expect(output.contains("^C"))
        #expect(output.contains("ask> 日本 x\u{1B}[K\u{1B}[6D"), "\(output.debugDescription)")
        // ← ← then Delete removed the "e" of "the": the first question as edited, the second recalled with ↑.
        #expect(try AskFixture.turns(a.db, 1).map { $0.split(separator: "|", maxSplits: 2)[2] } == [
            "When are th bars shown", "Answer after 0 earlier questions.", "When are th bars shown", "Answer after 1 earlier questions.",
        ])
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations") == 1)
        #expect(server.requests(path: "/v1/chat/completions").count == 2)
    }

    @Test("the archive-wide session on a terminal: a question, its cited moment, Ctrl-D; the turn kept with no video")
    func interactiveArchiveSession() async throws {
        let server = OpenAITestServer(handler: AskFixture.handler())
        try await server.start()
        defer { Task { await server.shutdown() } }
        let dir = try TemporaryDirectory()
        let a = try AskFixture.archive(dir, baseURL: server.baseURL)
        let (status, output) = try Self.throughPTY([
            ("expect", "\nask> ", 1), ("send", "Where is the lighthouse keeper?\r", 0),
            ("expect", "\nask> ", 2), ("send", "\u{04}", 0),
        ], ["ask", "--all", "--pipeline", a.pipeline])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Questions about the archive in \(a.db)"), "\(output)")
        #expect(output.contains("00:00:04.000 – 00:00:07.500  \(a.harbour)"), "\(output)")
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversations WHERE video_id IS NULL") == 1)
        #expect(try CLITests.count(a.db, "SELECT count(*) FROM conversation_turns") == 2)
    }
}
