internal import CPocketSphinx
import Foundation

/// One PocketSphinx decoder (`ps_decoder_t`) with its model loaded, turning 16 kHz mono samples into
/// words with times. Owns the decoder (freed in deinit). Not Sendable and not thread-safe: create one
/// per Dispatch queue and call it only there; its calls block while the model loads or a segment decodes.
public final class PocketSphinxRecognizer {
    /// The only rate the decoder is configured for; callers resample first.
    public static let sampleRate = 16_000
    /// Feature frames per second (`-frate`); segment iterator frame numbers divide by this.
    static let framesPerSecond = 100
    /// Inputs whose loudest sample stays below this (-60 dBFS) are silence.
    static let silencePeak: Float = 0.001

    /// Serialises loading: `-logfn` swaps sphinxbase's process-wide log file, which is not thread-safe.
    private static let loading = NSLock()

    public let model: PocketSphinxModel
    private let decoder: OpaquePointer
    /// The argv strings handed to `cmd_ln_parse_r`, kept alive as long as the configuration that was parsed from them.
    private let arguments: [UnsafeMutablePointer<CChar>?]

    /// Loads the Debian `pocketsphinx-en-us` model, or the given overrides. Throws `PocketSphinxError`
    /// naming the missing file (and the package to install) when the model is not there.
    public convenience init(modelDirectory: String? = nil, languageModel: String? = nil,
                            dictionary: String? = nil) throws(PocketSphinxError) {
        try self.init(model: PocketSphinxModel(acousticModel: modelDirectory, languageModel: languageModel,
                                               dictionary: dictionary))
    }

    public init(model: PocketSphinxModel) throws(PocketSphinxError) {
        try model.check()
        self.model = model
        let options = [
            "-hmm", model.acousticModel, "-lm", model.languageModel, "-dict", model.dictionary,
            "-samprate", String(PocketSphinxRecognizer.sampleRate),
            "-frate", String(PocketSphinxRecognizer.framesPerSecond),
            // The front end's own VAD would drop silent frames, and with them the link between frame
            // numbers and media time; segments come from an upstream VAD instead.
            "-remove_silence", "no",
            // The library logs to stderr by default; errors surface as our own messages instead.
            "-logfn", "/dev/null",
        ]
        Self.loading.lock()
        defer { Self.loading.unlock() }
        // argv[0] is the program name, as for a command line.
        var argv = (["vidpipe"] + options).map { strdup($0) }
        let config = argv.withUnsafeMutableBufferPointer { buffer in
            cmd_ln_parse_r(nil, ps_args(), Int32(buffer.count), buffer.baseAddress, 1)
        }
        guard let config else {
            argv.forEach { free($0) }
            throw PocketSphinxError(operation: "configure decoder", "cmd_ln_parse_r rejected the options \(options)")
        }
        let decoder = ps_init(config)
        cmd_ln_free_r(config)  // the decoder holds its own reference
        guard let decoder else {
            argv.forEach { free($0) }
            throw PocketSphinxError(
                operation: "load model",
                "ps_init failed for acoustic model \(model.acousticModel), language model \(model.languageModel), dictionary \(model.dictionary)",
                hint: "check that the three belong together and are not damaged; `pocketsphinx_continuous -hmm DIR -lm LM -dict DICT -infile FILE.wav` prints the library's log")
        }
        self.decoder = decoder
        self.arguments = argv
    }

    deinit {
        ps_free(decoder)
        arguments.forEach { free($0) }
    }

    /// Decodes `samples` (16 kHz mono, -1...1) as one utterance that starts at media time `startTime`.
    /// Word times are media seconds inside [startTime, startTime + duration]. An empty result means
    /// nothing was recognised.
    public func recognize(samples: [Float], startTime: Double) throws(PocketSphinxError) -> RecognizedUtterance {
        let duration = Double(samples.count) / Double(PocketSphinxRecognizer.sampleRate)
        let end = startTime + duration
        let empty = RecognizedUtterance(text: "", confidence: 0, posterior: 0, words: [], start: startTime, end: end)
        // Shorter than a few feature frames: nothing the decoder can use.
        guard samples.count >= PocketSphinxRecognizer.sampleRate / 20 else { return empty }
        // Near-digital silence (peak below -60 dBFS) makes degenerate features the decoder reads as a word.
        guard samples.contains(where: { abs($0) >= PocketSphinxRecognizer.silencePeak }) else { return empty }
        let pcm = samples.map { sample -> Int16 in
            let clamped = sample.isFinite ? min(1, max(-1, sample)) : 0
            return Int16((clamped * 32767).rounded())
        }
        guard ps_start_utt(decoder) >= 0 else {
            throw PocketSphinxError(operation: "decode", "ps_start_utt failed")
        }
        let searched = pcm.withUnsafeBufferPointer { buffer in
            // full_utt = 1: the whole utterance at once, so cepstral mean normalisation sees all of it.
            ps_process_raw(decoder, buffer.baseAddress, buffer.count, 0, 1)
        }
        guard ps_end_utt(decoder) >= 0, searched >= 0 else {
            throw PocketSphinxError(operation: "decode", "ps_process_raw failed on \(samples.count) samples at \(startTime) s")
        }
        var score: Int32 = 0
        guard let hypothesis = ps_get_hyp(decoder, &score) else { return empty }
        let text = String(cString: hypothesis).split(separator: " ").joined(separator: " ")
        let logmath = ps_get_logmath(decoder)
        let posterior = Self.unit(logmath_exp(logmath, ps_get_prob(decoder)))
        let words = readWords(startTime: startTime, end: end, logmath: logmath)
        let confidence = words.isEmpty ? 0 : words.reduce(0) { $0 + $1.confidence } / Double(words.count)
        return RecognizedUtterance(text: text, confidence: confidence, posterior: posterior, words: words,
                                   start: startTime, end: end)
    }

    /// Walks the best path's segments, leaving out fillers, converting frames to media seconds.
    private func readWords(startTime: Double, end: Double, logmath: OpaquePointer?) -> [RecognizedWord] {
        var words: [RecognizedWord] = []
        var segment = ps_seg_iter(decoder)
        let rate = Double(PocketSphinxRecognizer.framesPerSecond)
        while let current = segment {
            if let raw = ps_seg_word(current), let word = Self.spokenWord(String(cString: raw)) {
                var first: Int32 = 0, last: Int32 = 0
                ps_seg_frames(current, &first, &last)
                var acoustic: Int32 = 0, language: Int32 = 0, backoff: Int32 = 0
                let posterior = ps_seg_prob(current, &acoustic, &language, &backoff)
                let wordStart = min(end, startTime + Double(first) / rate)
                let wordEnd = min(end, max(wordStart, startTime + Double(last + 1) / rate))
                words.append(RecognizedWord(word: word, start: wordStart, end: wordEnd,
                                            confidence: Self.unit(logmath_exp(logmath, posterior))))
            }
            segment = ps_seg_next(current)  // frees the iterator at the end
        }
        return words
    }

    /// The word as written, or nil for fillers: `<s>`, `</s>`, `<sil>`, `[NOISE]`, `++BREATH++`.
    /// Alternate pronunciations lose their marker: "the(2)" is "the".
    static func spokenWord(_ token: String) -> String? {
        if token.isEmpty || token.hasPrefix("<") || token.hasPrefix("[") || token.hasPrefix("++") { return nil }
        if token.hasSuffix(")"), let open = token.lastIndex(of: "("), open > token.startIndex {
            return String(token[..<open])
        }
        return token
    }

    private static func unit(_ value: Double) -> Double {
        value.isFinite ? min(1, max(0, value)) : 0
    }
}
