import Foundation
import ModelAPI
import Stages
import Store

/// A conversation `vidpipe ask` keeps in the store (`--continue`, the interactive session): about
/// one video, or with no video about the whole archive (`ask --all`). Each question and its answer
/// are one turn, written in one transaction. What goes back to the model is the latest `summary`
/// turn and the turns after it; when they outgrow the history budget, the oldest are summarised by
/// the model (or, when it cannot, left out) so the prompt keeps within the model's context.
public struct AskConversation {
    public let store: VidpipeStore
    /// Nil: the archive-wide conversation.
    public let videoID: Int64?
    /// Nil until the first turn is written.
    public private(set) var id: Int64?
    /// False for a read-only store: turns are answered with the history of this process only.
    public let keep: Bool
    public private(set) var turns: [ConversationTurn]

    /// A new conversation (written with its first turn).
    public static func start(store: VidpipeStore, videoID: Int64?, keep: Bool) -> AskConversation {
        AskConversation(store: store, videoID: videoID, id: nil, keep: keep, turns: [])
    }

    /// The latest conversation about `videoID` (nil: about the archive), or nil when there is none.
    public static func resume(store: VidpipeStore, videoID: Int64?) throws -> AskConversation? {
        guard let row = try store.latestConversation(videoID: videoID) else { return nil }
        return AskConversation(store: store, videoID: videoID, id: row.id, keep: true, turns: try store.conversationTurns(row.id))
    }

    /// The questions asked so far, oldest first (for the interactive session's line history).
    public var questions: [String] { turns.filter { $0.role == .user }.map(\.text) }

    /// Questions with their answers after the latest summary, each with the idx of its last turn.
    var context: (summary: (idx: Int, text: String)?, exchanges: [(exchange: ConversationHistory.Exchange, lastIdx: Int)]) {
        let start = turns.lastIndex { $0.role == .summary }
        var exchanges: [(exchange: ConversationHistory.Exchange, lastIdx: Int)] = []
        var pending: ConversationTurn?
        for turn in turns[(start.map { $0 + 1 } ?? 0)...] {
            switch turn.role {
            case .user: pending = turn
            case .assistant:
                if let question = pending {
                    exchanges.append((.init(question: question.text, answer: Self.answerText(turn)), turn.idx))
                }
                pending = nil
            case .summary: pending = nil
            }
        }
        return (start.map { (turns[$0].idx, turns[$0].text) }, exchanges)
    }

    /// An answer as the model sees it again: its text and what it cited.
    static func answerText(_ turn: ConversationTurn) -> String {
        let cited = (turn.citations.flatMap(JSONValue.parse)?.arrayValue ?? []).compactMap { c -> String? in
            guard let s = c["start_s"]?.numberValue, let e = c["end_s"]?.numberValue else { return nil }
            let range = String(format: "%.1f–%.1f s", s, e)
            return c["path"]?.stringValue.map { "\($0) \(range)" } ?? range
        }
        return cited.isEmpty ? turn.text : turn.text + "\n(cited: " + cited.joined(separator: "; ") + ")"
    }

    /// The history that goes with the next question, within `budget` tokens.
    public struct Fit {
        public var history: ConversationHistory
        /// The summary to store with the next turn, when older turns were summarised.
        public var fold: ConversationFold?
        /// One line for stderr when turns were summarised or dropped, e.g. "(3 earlier turns summarised to fit the context)".
        public var notice: String?
    }

    /// The history as is when it fits `budget`; else the newest turns that fit half of it, after a
    /// summary (by the model, at most half the budget) of the older ones and of any earlier summary.
    /// When the model cannot summarise, the older turns are dropped for this question.
    public func fitted(budget: Int, provider: any ModelProvider, model: String?) -> Fit {
        let (summary, entries) = context
        let whole = ConversationHistory(summary: summary?.text, exchanges: entries.map(\.exchange))
        guard whole.estimatedTokens > budget else { return Fit(history: whole) }
        var kept = 0, used = 0
        for entry in entries.reversed() {
            let tokens = ConversationHistory.estimatedTokens(entry.exchange)
            guard used + tokens <= budget / 2 else { break }
            kept += 1
            used += tokens
        }
        let folded = entries.dropLast(kept)
        let remaining = Array(entries.suffix(kept).map(\.exchange))
        let turnsWord = folded.count == 1 ? "turn" : "turns"
        do {
            let text = try ReasonLLM.summariseConversation(
                ConversationHistory(summary: summary?.text, exchanges: folded.map(\.exchange)),
                provider: provider, model: model, maxTokens: max(50, budget / 2))
            let afterIdx = folded.last?.lastIdx ?? summary?.idx ?? -1
            let notice = folded.isEmpty ? "(the summary of earlier turns was condensed again to fit the context)"
                : "(\(folded.count) earlier \(turnsWord) summarised to fit the context)"
            return Fit(history: ConversationHistory(summary: text, exchanges: remaining),
                       fold: ConversationFold(afterIdx: afterIdx, text: text), notice: notice)
        } catch {
            let what = folded.isEmpty ? "the summary of earlier turns" : "\(folded.count) earlier \(turnsWord)"
            return Fit(history: ConversationHistory(exchanges: remaining),
                       notice: "(\(what) dropped to fit the context; the model could not summarise them: \(error))")
        }
    }

    /// Keeps a question and its answer (and the fit's summary): in the store when `keep`, else for
    /// this process only.
    public mutating func record(question: String, answer: String, citations: String?, fit: Fit, provider: String,
                                model: String) throws {
        if keep {
            id = try store.appendExchange(conversationID: id, videoID: videoID, provider: provider, model: model,
                                          fold: fit.fold, question: question, answer: answer, citations: citations)
            turns = try store.conversationTurns(id!)
            return
        }
        if let fold = fit.fold {
            let at = turns.firstIndex { $0.idx > fold.afterIdx } ?? turns.count
            turns.insert(ConversationTurn(idx: fold.afterIdx + 1, role: .summary, text: fold.text), at: at)
            for i in turns.indices where i > at { turns[i].idx += 1 }
        }
        let next = (turns.last?.idx ?? -1) + 1
        turns += [ConversationTurn(idx: next, role: .user, text: question),
                  ConversationTurn(idx: next + 1, role: .assistant, text: answer, citations: citations)]
    }

    /// Citations as the store keeps them: a JSON array.
    public static func citationsJSON<C: Encodable>(_ citations: [C]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(citations), as: UTF8.self)) ?? "[]"
    }
}
