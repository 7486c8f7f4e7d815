import Foundation

/// What a provider learned about its server's models, kept for the provider's lifetime: the richest
/// response format each model accepted, which models refuse images, which refuse `verbose_json`.
// @unchecked Sendable: every dictionary is read and written only under `lock`.
final class ProviderMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var formatCeiling: [String: FormatStep] = [:]
    private var imageRefusals: [String: String] = [:]
    private var plainTranscription: Set<String> = []

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The step to send first for a request asking `asked` of `model`.
    func firstStep(model: String, asked: FormatStep) -> FormatStep {
        locked { min(asked, formatCeiling[model] ?? .jsonSchema) }
    }

    func rememberFormatCeiling(_ step: FormatStep, model: String) {
        locked { formatCeiling[model] = min(step, formatCeiling[model] ?? .jsonSchema) }
    }

    func imageRefusal(model: String) -> String? { locked { imageRefusals[model] } }
    func rememberImageRefusal(_ serverSaid: String, model: String) { locked { imageRefusals[model] = serverSaid } }

    func usesPlainTranscription(model: String) -> Bool { locked { plainTranscription.contains(model) } }
    func rememberPlainTranscription(model: String) { _ = locked { plainTranscription.insert(model) } }
}
