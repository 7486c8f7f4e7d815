import Logging
import ModelAPI
import OpenAIProvider
import Pipeline

extension ModelProviders {
    /// The default factory: an OpenAI-compatible HTTP client per `providers:` entry (the only type).
    /// It lives in the executable so that the Pipeline library does not link the HTTP stack.
    static let openAI: ProviderFactory = { config, cache in
        let settings = OpenAIProviderSettings(
            name: config.name, baseURL: config.baseURL ?? "", model: config.model, apiKeyEnv: config.apiKeyEnv,
            maxConcurrency: config.maxConcurrency, timeout: config.timeout, retries: config.retries)
        return OpenAIProvider(settings: settings, cache: cache, logger: Logger(label: "vidpipe.provider.\(config.name)"))
    }
}
