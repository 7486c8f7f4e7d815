import ArgumentParser
import Foundation
import ModelAPI
import Pipeline
import Stages
import Store

/// The turns of one `vidpipe ask` conversation: one question from the command line, or the lines of
/// the interactive session. Each turn's history fits the budget, its answer is printed and kept.
struct AskSession {
    let store: VidpipeStore
    /// Nil: `--all`, the whole archive.
    let video: VideoRow?
    let client: any ModelProvider
    let provider: String
    let videoOptions: VideoAsk.Options
    let archiveOptions: ArchiveAsk.Options
    let historyTokens: Int
    let json: Bool
    var conversation: AskConversation

    /// Asks one question; prints the answer (stdout) and notes (stderr). False when it failed (the
    /// error is printed, also a turn answered but not kept); a question with no matching moment
    /// (`--all`) is not a failure.
    mutating func turn(_ question: String) throws -> Bool {
        do {
            if let video { try askVideo(question, video) } else { try askArchive(question) }
            return true
        } catch let error as ModelProviderError {
            printError("error: \(error.message)")
        } catch let error as VideoAsk.Failure {
            printError("error: \(error.description)")
        } catch let error as StoreError {
            printError("error: \(error)")
        } catch let error as ExitCode {
            throw error
        } catch {
            printError("error: " + (store.failure(error) ?? "\(error)"))
        }
        return false
    }

    private mutating func askVideo(_ question: String, _ video: VideoRow) throws {
        let fit = conversation.fitted(budget: historyTokens, provider: client, model: videoOptions.model)
        if let notice = fit.notice { printError(notice) }
        var result = try VideoAsk.ask(question, video: video, store: store, provider: client, options: videoOptions,
                                      history: fit.history)
        let kept = keep(question, result.answer, AskConversation.citationsJSON(result.citations), fit, result.model)
        result.conversation_id = conversation.keep ? conversation.id : nil
        if json {
            try printJSON(result)
        } else {
            print(result.answer)
            if !result.citations.isEmpty {
                print("")
                for c in result.citations {
                    print("  \(SearchCommand.clock(c.start_s)) – \(SearchCommand.clock(c.end_s))  \(result.path)")
                }
            }
            printError("(\(result.model); \(result.shots.count) shot records, \(result.images_sent) keyframes sent)")
        }
        try kept()
    }

    private mutating func askArchive(_ question: String) throws {
        let moments = try ArchiveAsk.moments(question, store: store, provider: client, options: archiveOptions,
                                             warning: { printError($0) })
        guard !moments.isEmpty else {
            printError("no moment in \(store.path) matches '\(question)'; the model was not asked")
            if json {
                try printJSON(ArchiveAsk.Result(question: question, answer: nil, citations: [], dropped_citations: 0, model: nil,
                                                moments: [], conversation_id: nil))
            }
            return
        }
        let fit = conversation.fitted(budget: historyTokens, provider: client, model: archiveOptions.model)
        if let notice = fit.notice { printError(notice) }
        let answer = try ArchiveAsk.answer(question, moments: moments, history: fit.history, provider: client, options: archiveOptions)
        let kept = keep(question, answer.answer, AskConversation.citationsJSON(answer.citations), fit, answer.model)
        let result = ArchiveAsk.Result(question: question, answer: answer.answer, citations: answer.citations,
                                       dropped_citations: answer.dropped, model: answer.model, moments: moments,
                                       conversation_id: conversation.keep ? conversation.id : nil)
        if json {
            try printJSON(result)
        } else {
            print(answer.answer)
            if !answer.citations.isEmpty {
                print("")
                for c in answer.citations {
                    print("  \(SearchCommand.clock(c.start_s)) – \(SearchCommand.clock(c.end_s))  \(c.path)")
                }
            }
            let videos = Set(moments.map(\.videoID)).count
            printError("(\(answer.model); \(moments.count) moment\(moments.count == 1 ? "" : "s") from \(videos) "
                       + "video\(videos == 1 ? "" : "s") sent)")
        }
        if answer.dropped > 0 {
            printError("(\(answer.dropped) citation\(answer.dropped == 1 ? "" : "s") left out: not among the moments sent)")
        }
        try kept()
    }

    /// Keeps the turn; the returned closure reports (after the answer is printed) a turn that could not be kept.
    private mutating func keep(_ question: String, _ answer: String, _ citations: String, _ fit: AskConversation.Fit,
                               _ model: String) -> () throws -> Void {
        do {
            try conversation.record(question: question, answer: answer, citations: citations, fit: fit, provider: provider,
                                    model: model)
            return {}
        } catch {
            let reason = (error as? StoreError).map { "\($0)" } ?? store.failure(error) ?? "\(error)"
            return { throw TurnNotKept(reason: reason) }
        }
    }

    struct TurnNotKept: Error, CustomStringConvertible {
        var reason: String
        var description: String { "the answer above could not be kept in the conversation: \(reason)" }
    }

    /// Questions typed on the terminal, one a line, until Ctrl-D.
    mutating func interactive(subject: String) throws {
        guard let editor = LineEditor() else {
            printError("error: no question given, and stdin is not a terminal")
            throw ExitCode(64)
        }
        for q in conversation.questions { editor.addHistory(q) }
        printError("Questions about \(subject), one a line; ↑/↓ recall earlier ones, Ctrl-D leaves.")
        while true {
            fflush(nil)  // answers printed so far reach the terminal before the prompt
            guard let line = editor.readLine(prompt: "ask> ") else { return }
            let question = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !question.isEmpty else { continue }
            editor.addHistory(question)
            _ = try turn(question)  // a failed question has printed its error; the session goes on
            print("")
        }
    }
}
