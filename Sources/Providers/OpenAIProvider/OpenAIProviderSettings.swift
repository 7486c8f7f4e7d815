import Foundation

/// How to reach one OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM Studio, OpenAI):
/// one entry under `providers:` in a pipeline config.
public struct OpenAIProviderSettings: Sendable, Equatable {
    /// The name under `providers:`; every error and log line names it.
    public var name: String
    /// The API root, up to and including `/v1`: `http://127.0.0.1:11434/v1`. A trailing `/` is ignored.
    public var baseURL: String
    /// The model used when a request names none.
    public var model: String?
    /// The environment variable holding the API key (sent as `Authorization: Bearer …`); nil: no key.
    public var apiKeyEnv: String?
    /// In-flight requests at most, across every caller sharing the provider.
    public var maxConcurrency: Int
    /// Seconds one attempt may take, from sending to the last byte of the answer.
    public var timeout: Double
    /// Resends after the first attempt on connection errors, timeouts, 429 and 5xx.
    public var retries: Int
    /// The backoff before retry n (n from 0) is uniformly random in 0…min(maxBackoff, backoffBase·2ⁿ) seconds.
    public var backoffBase: Double
    public var maxBackoff: Double
    /// The longest `Retry-After` (429/503) honoured, in seconds; longer waits are cut to this.
    public var maxRetryAfter: Double

    public init(name: String, baseURL: String, model: String? = nil, apiKeyEnv: String? = nil, maxConcurrency: Int = 4,
                timeout: Double = 120, retries: Int = 3, backoffBase: Double = 0.5, maxBackoff: Double = 30,
                maxRetryAfter: Double = 60) {
        self.name = name
        self.baseURL = baseURL
        self.model = model
        self.apiKeyEnv = apiKeyEnv
        self.maxConcurrency = maxConcurrency
        self.timeout = timeout
        self.retries = retries
        self.backoffBase = backoffBase
        self.maxBackoff = maxBackoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// `baseURL` without trailing slashes.
    var root: String {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The problem that makes these settings unusable, if any (checked at the provider's init).
    func validationProblem() -> String? {
        guard let url = URL(string: root), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else {
            return "provider '\(name)': base_url '\(Secrets.withoutCredentials(baseURL))' is not an http(s) URL such as http://127.0.0.1:11434/v1"
        }
        if maxConcurrency < 1 { return "provider '\(name)': max_concurrency must be at least 1 (is \(maxConcurrency))" }
        if !(timeout > 0) { return "provider '\(name)': timeout must be more than 0 seconds (is \(timeout))" }
        if retries < 0 { return "provider '\(name)': retries must be 0 or more (is \(retries))" }
        return nil
    }
}

/// `120` for whole seconds, else `0.3`: how durations read in messages.
func secondsText(_ seconds: Double) -> String {
    if seconds == seconds.rounded(), abs(seconds) < 1e9 { return String(Int(seconds)) }
    return String(format: "%g", seconds)
}
