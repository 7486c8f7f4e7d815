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
        abstract: "Ask a question about one video; the answer cites the times it rests on.",
        discussion: """
            Needs a store where a pipeline ran timeline.fuse for the video, and a model server: the provider \
            named in --pipeline's file (the one its reason.llm stage uses, unless --provider says otherwise). \
            The records of the shots that match the question (full-text and, with embed.text, vector search) go \
            to the model as data, with their keyframes as images when the model takes them.
            """)

    @Argument(help: ArgumentHelp("The video: its id, its path, or a unique file name.", valueName: "video"))
    var video: String

    @Argument(help: "The question.")
    var question: String

    @OptionGroup var models: ModelOptions

    @Option(name: .long, help: ArgumentHelp("The SQLite store (default: the pipeline's `store:`).", valueName: "file"))
    var db: String?

    @Option(name: .long, help: "At most this many shot records go to the model when the whole record is too long.")
    var shots: Int = 12

    @Flag(name: .long, help: "Send no keyframe images.")
    var noImages = false

    @Flag(name: .long, help: "Print JSON: {video_id, path, question, answer, citations: [{start_s, end_s}], model, shots, images_sent}.")
    var json = false

    func validate() throws {
        guard !question.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the question is empty") }
        guard shots >= 1 else { throw ValidationError("--shots must be at least 1") }
        guard models.pipeline != nil else {
            throw ValidationError("ask needs --pipeline FILE: the pipeline whose providers: name the model server")
        }
    }

    func run() throws {
        let graph = try loadGraph(models.pipeline!)
        let storePath = URL(fileURLWithPath: db ?? graph.config.store ?? "vidpipe.sqlite").standardizedFileURL.path
        let store = try openExistingStore(storePath, cache: true)
        guard let row = try store.findVideo(video) else {
            printError("error: no video '\(video)' in \(store.path)\n  hint: give its id or path as `vidpipe status` lists them")
            throw ExitCode(1)
        }
        guard let choice = ModelChoice.choose(graph, types: [ReasonLLM.self, FramesCaption.self], preferred: models.provider) else {
            printError("error: \(models.pipeline!) names no provider to ask"
                       + (models.provider.map { " (no provider '\($0)')" } ?? "")
                       + "\n  hint: define one under `providers:` (type: openai, base_url: ...) or pass --provider NAME")
            throw ExitCode(1)
        }
        let client = try ModelChoice.client(graph, name: choice.provider, store: store, factory: ModelProviders.openAI)
        defer { client.shutdown() }
        let embedding = ModelChoice.choose(graph, types: [EmbedText.self], preferred: nil)
        var options = VideoAsk.Options(model: models.model ?? choice.model,
                                       embeddingModel: embedding?.provider == choice.provider ? embedding?.model : nil)
        options.maxShots = shots
        if noImages { options.maxImages = 0 }
        let result: VideoAsk.Result
        do {
            result = try VideoAsk.ask(question, video: row, store: store, provider: client, options: options)
        } catch let error as ModelProviderError {
            printError("error: \(error.message)")
            throw ExitCode(1)
        } catch let error as VideoAsk.Failure {
            printError("error: \(error.description)")
            throw ExitCode(1)
        }
        if json {
            try printJSON(result)
            return
        }
        print(result.answer)
        if !result.citations.isEmpty {
            print("")
            for c in result.citations {
                print("  \(SearchCommand.clock(c.start_s)) – \(SearchCommand.clock(c.end_s))  \(result.path)")
            }
        }
        printError("(\(result.model); \(result.shots.count) shot records, \(result.images_sent) keyframes sent)")
    }
}
