import Logging
import ModelAPI
import OpenAIProvider

extension ModelProviders {
    /// The default factory: an OpenAI-compatible HTTP client per `providers:` entry (the only type).
    public static let openAI: ProviderFactory = { config, cache in
        let settings = OpenAIProviderSettings(
            name: config.name, baseURL: config.baseURL ?? "", model: config.model, apiKeyEnv: config.apiKeyEnv,
            maxConcurrency: config.maxConcurrency, timeout: config.timeout, retries: config.retries)
        return OpenAIProvider(settings: settings, cache: cache, logger: Logger(label: "vidpipe.provider.\(config.name)"))
    }
}
