import ArgumentParser
import Foundation
import ModelAPI
import Pipeline
import Stages
import Store

/// Where `ask` and `search --semantic` find their model server: the pipeline that made the store.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The pipeline whose `providers:` (and store) to use.", valueName: "pipeline.yml"))
    var pipeline: String?

    @Option(name: .long, help: ArgumentHelp("Which provider of the pipeline (default: the one its stages use).", valueName: "name"))
    var provider: String?

    @Option(name: .long, help: ArgumentHelp("The model (default: the pipeline stage's, else the provider's).", valueName: "name"))
    var model: String?
}

struct AskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask about one video, or with --all about the whole archive; the answer cites the times it rests on.",
        discussion: """
            Needs a store where a pipeline ran timeline.fuse for the video, and a model server: the provider \
            named in --pipeline's file (the one its reason.llm stage uses, unless --provider says otherwise). \
            The records of the shots that match the question (full-text and, with embed.text, vector search) go \
            to the model as data, with their keyframes as images when the model takes them. With --all, the best \
            moments across every video go instead, each with its video's path and times.

            Each question and its answer are kept in the store as a turn of a conversation: a question without \
            --continue starts a new conversation, --continue adds to the latest one about the same video (or, \
            with --all, the latest archive-wide one), whose earlier turns go to the model with the question \
            (the oldest summarised, or dropped, to stay within --history-tokens). With no question, on a \
            terminal, ask opens an interactive session: each line is a question of one conversation; Ctrl-D leaves.
            """)

    @Argument(help: ArgumentHelp("The video: its id, its path, or a unique file name (with --all: the question).", valueName: "video"))
    var video: String?

    @Argument(help: ArgumentHelp("The question (none, on a terminal: an interactive session).", valueName: "question"))
    var question: String?

    @Flag(name: .long, help: "Ask about every video in the store: the best moments across the archive go to the model.")
    var all = false

    @Flag(name: .customLong("continue"), help: "Continue the latest conversation about the video (with --all: the latest archive-wide one).")
    var continueConversation = false

    @OptionGroup var models: ModelOptions

    @Option(name: .long, help: ArgumentHelp("The SQLite store (default: the pipeline's `store:`).", valueName: "file"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("At most this many shot records go to the model when the whole record is too long (default 12).", valueName: "n"))
    var shots: Int?

    @Option(name: .long, help: ArgumentHelp("--all: at most this many moments go to the model (default 12).", valueName: "n"))
    var moments: Int?

    @Option(name: .long, help: ArgumentHelp("Tokens the conversation's earlier turns may take in a prompt; older turns are summarised to fit.", valueName: "n"))
    var historyTokens: Int = 1500

    @Option(name: .long, help: ArgumentHelp("Longest answer, in tokens (default 700); an answer the model is cut at says so.", valueName: "n"))
    var maxTokens: Int = 700

    @Flag(name: .long, help: "Send no keyframe images.")
    var noImages = false

    @Flag(name: .long, help: ArgumentHelp("Print JSON: {video_id, path, question, answer, citations: [{start_s, end_s}], model, shots, images_sent, conversation_id}; "
          + "with --all {question, answer, citations: [{path, video_id, start_s, end_s}], dropped_citations, model, moments, conversation_id}."))
    var json = false

    /// The question given on the command line, if any.
    var givenQuestion: String? { all ? video : question }

    func validate() throws {
        if all {
            guard question == nil else {
                throw ValidationError("with --all give only the question (it is about every video), not a video")
            }
        } else if video == nil {
            throw ValidationError("give a video (its id, path or file name) and a question, or --all and a question")
        }
        if let q = givenQuestion, q.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError("the question is empty")
        }
        if givenQuestion == nil {
            guard isatty(STDIN_FILENO) == 1 else {
                // A usage error: exit 1, as every other (DESIGN.md's exit codes).
                printError("error: no question given, and stdin is not a terminal: give the question as an argument "
                           + "(with no question, ask opens an interactive session on a terminal)"
                           + "\n  usage: vidpipe ask VIDEO \"QUESTION\" --pipeline FILE, or vidpipe ask --all \"QUESTION\" --pipeline FILE")
                Foundation.exit(1)
            }
            if json { throw ValidationError("--json needs a question (the interactive session prints text)") }
        }
        if all && (shots != nil || noImages) {
            throw ValidationError("--shots and --no-images are about one video's shots; --all sends moments (--moments N)")
        }
        if !all && moments != nil { throw ValidationError("--moments goes with --all (one video: --shots N)") }
        if let shots, shots < 1 { throw ValidationError("--shots must be at least 1") }
        if let moments, moments < 1 { throw ValidationError("--moments must be at least 1") }
        guard historyTokens >= 100 else { throw ValidationError("--history-tokens must be at least 100") }
        guard models.pipeline != nil else {
            throw ValidationError("ask needs --pipeline FILE: the pipeline whose providers: name the model server")
        }
    }

    func run() throws {
        let graph = try loadGraph(models.pipeline!)
        let storePath = URL(fileURLWithPath: db ?? graph.config.store ?? "vidpipe.sqlite").standardizedFileURL.path
        let store = try openExistingStore(storePath, cache: true)
        var row: VideoRow?
        if !all {
            guard let found = try store.findVideo(video!) else {
                printError("error: no video '\(video!)' in \(store.path)\n  hint: give its id or path as `vidpipe status` lists them")
                throw ExitCode(1)
            }
            row = found
        }
        if continueConversation && store.isReadOnly {
            printError("error: the store \(store.path) is read-only; --continue keeps the conversation in it"
                       + "\n  hint: make the store (and its folder) writable, or ask without --continue")
            throw ExitCode(1)
        }
        guard let choice = ModelChoice.choose(graph, types: [ReasonLLM.self, FramesCaption.self], preferred: models.provider) else {
            printError("error: \(models.pipeline!) names no provider to ask"
                       + (models.provider.map { " (no provider '\($0)')" } ?? "")
                       + "\n  hint: define one under `providers:` (type: openai, base_url: ...) or pass --provider NAME")
            throw ExitCode(1)
        }
        let embedding = ModelChoice.choose(graph, types: [EmbedText.self], preferred: nil)
        let embeddingModel = embedding?.provider == choice.provider ? embedding?.model : nil
        // Frame vectors rank shots by the text tower of the frame stage's model, with that stage's provider.
        let frameSources = FrameSearch.sources(graph)
        func frameModels(_ provider: String) -> [String?] { frameSources.filter { $0.provider == provider }.map(\.model) }
        // Each client's cached answers are kept apart per model identity, as in a run.
        let client = try ModelChoice.client(graph, name: choice.provider, store: store, factory: ModelProviders.openAI,
                                            models: [models.model ?? choice.model, embeddingModel] + frameModels(choice.provider))
        defer { client.shutdown() }
        var videoOptions = VideoAsk.Options(model: models.model ?? choice.model, embeddingModel: embeddingModel)
        var frameClients: [String: any ModelProvider] = [choice.provider: client]
        for name in Set(frameSources.map(\.provider)) where frameClients[name] == nil {
            frameClients[name] = try ModelChoice.client(graph, name: name, store: store, factory: ModelProviders.openAI,
                                                        models: frameModels(name))
        }
        defer { for (name, other) in frameClients where name != choice.provider { other.shutdown() } }
        if !frameSources.isEmpty {
            let clients = frameClients
            videoOptions.frames = VideoAsk.FrameVectors(sources: frameSources) { name in
                guard let found = clients[name] else {
                    throw ModelProviderError(kind: .configuration, provider: name, message: "provider '\(name)' is not defined")
                }
                return found
            }
        }
        videoOptions.maxShots = shots ?? 12
        videoOptions.maxTokens = maxTokens
        if noImages { videoOptions.maxImages = 0 }
        var archiveOptions = ArchiveAsk.Options(model: models.model ?? choice.model, embeddingModel: embeddingModel)
        archiveOptions.maxMoments = moments ?? 12
        archiveOptions.maxTokens = maxTokens

        let subject = row.map { $0.path } ?? "the archive in \(store.path)"
        var conversation: AskConversation
        if continueConversation, let earlier = try AskConversation.resume(store: store, videoID: row?.id) {
            conversation = earlier
            let count = earlier.questions.count
            printError("(continuing the conversation about \(subject): \(count) earlier turn\(count == 1 ? "" : "s"))")
        } else {
            if continueConversation { printError("(no earlier conversation about \(subject): this starts one)") }
            if store.isReadOnly { printError("(the store is read-only: this conversation is not kept)") }
            conversation = AskConversation.start(store: store, videoID: row?.id, keep: !store.isReadOnly)
        }
        var session = AskSession(store: store, video: row, client: client, provider: choice.provider, videoOptions: videoOptions,
                                 archiveOptions: archiveOptions, historyTokens: historyTokens, json: json, conversation: conversation)
        if let givenQuestion {
            guard try session.turn(givenQuestion) else { throw ExitCode(1) }
            return
        }
        try session.interactive(subject: subject)
    }
}
