import Foundation
@testable import PocketSphinxASR
import Testing
import TestSupport

@Suite(.serialized)
struct PocketSphinxRecognizerTests {
    @Test func recognisesRecordedSpeechWithWordTimings() throws {
        let recognizer = try PocketSphinxRecognizer()
        let recording = SpeechRecording.goForward
        let samples = try recording.samples()
        let utterance = try recognizer.recognize(samples: samples, startTime: 0)
        let wer = WordErrorRate.count(reference: recording.reference, hypothesis: utterance.text)
        #expect(wer.errors == 0, "heard '\(utterance.text)'")
        #expect(utterance.words.map(\.word).joined(separator: " ") == utterance.text)
        #expect((0...1).contains(utterance.posterior) && utterance.posterior <= utterance.confidence)
        #expect(utterance.confidence > 0.5, "all four words right, mean word posterior \(utterance.confidence)")
        let duration = Double(samples.count) / 16000
        var previousEnd = 0.0
        for word in utterance.words {
            #expect(word.start >= previousEnd - 1e-9 && word.end > word.start && word.end <= duration + 1e-9, "\(word)")
            #expect((0...1).contains(word.confidence))
            previousEnd = word.end
        }

        // The same samples placed at 3 s of media time: every word moves by exactly 3 s.
        let shifted = try recognizer.recognize(samples: samples, startTime: 3)
        #expect(shifted.text == utterance.text)
        #expect(zip(shifted.words, utterance.words).allSatisfy { abs($0.start - $1.start - 3) < 1e-9 && abs($0.end - $1.end - 3) < 1e-9 },
                "\(shifted.words) vs \(utterance.words)")
        #expect(shifted.start == 3 && abs(shifted.end - 3 - duration) < 1e-9)
    }

    /// The engine alone on the recordings as stored (no FFmpeg, no segmentation): WER bound and the
    /// real-time factor (decode time / audio time, model load excluded), printed for docs/benchmarks.md.
    @Test func wordErrorRateAndSpeedOnTheRecordings() throws {
        try #require(SpeechRecording.isInstalled, "install pocketsphinx-testdata (scripts/setup.sh)")
        let recognizer = try PocketSphinxRecognizer()
        var total = WordErrorRate.Count(), audio = 0.0, decoding = 0.0
        for recording in try SpeechRecording.all() where recording.name != SpeechRecording.goForward.name {
            let samples = try recording.samples()
            let started = Date()
            let heard = try recognizer.recognize(samples: samples, startTime: 0)
            decoding += Date().timeIntervalSince(started)
            audio += Double(samples.count) / 16000
            let count = WordErrorRate.count(reference: recording.reference, hypothesis: heard.text)
            print("engine WER \(recording.name): \(percent(count.rate)) % (\(heard.text)), confidence \(String(format: "%.3f", heard.confidence)), posterior \(String(format: "%.3f", heard.posterior))")
            total = total + count
        }
        print("engine WER overall (\(total.referenceWords) words): \(percent(total.rate)) %; "
              + "real-time factor \(String(format: "%.3f", decoding / audio)) (\(String(format: "%.1f", decoding)) s for \(String(format: "%.1f", audio)) s)")
        #expect(total.rate <= 0.35)
    }

    @Test func silenceAndTinyInputsGiveNoWords() throws {
        let recognizer = try PocketSphinxRecognizer()
        #expect(try recognizer.recognize(samples: [], startTime: 1).isEmpty)
        #expect(try recognizer.recognize(samples: [Float](repeating: 0, count: 400), startTime: 0).isEmpty)
        let silence = try recognizer.recognize(samples: [Float](repeating: 0, count: 32000), startTime: 0)
        #expect(silence.words.isEmpty, "heard '\(silence.text)' in digital silence")
    }

    @Test func missingModelFilesAreNamedWithTheirPackage() throws {
        let dir = try TemporaryDirectory()
        do {
            _ = try PocketSphinxRecognizer(modelDirectory: dir.path("nowhere"))
            Issue.record("loading a missing model directory did not throw")
        } catch {
            #expect(error.description.contains(dir.path("nowhere")))
            #expect(error.description.contains("does not exist"))
        }
        // A directory that lacks one file of the acoustic model: the error names that file.
        try FileManager.default.createDirectory(atPath: dir.path("partial"), withIntermediateDirectories: true)
        for name in ["mdef", "means", "sendump"] {
            try FileManager.default.copyItem(atPath: PocketSphinxModel.debianAcousticModel + "/" + name, toPath: dir.path("partial/" + name))
        }
        #expect(throws: PocketSphinxError.self) { try PocketSphinxRecognizer(modelDirectory: dir.path("partial")) }
        do {
            _ = try PocketSphinxRecognizer(modelDirectory: dir.path("partial"))
        } catch {
            #expect(error.description.contains(dir.path("partial/variances")))
        }
        let missingLM = PocketSphinxModel(languageModel: dir.path("none.lm.bin"))
        #expect { try missingLM.check() } throws: { "\($0)".contains("language model \(dir.path("none.lm.bin"))") }
        // The Debian paths name the package to install.
        let error = PocketSphinxModel(dictionary: PocketSphinxModel.debianDirectory + "/missing.dict")
        #expect { try error.check() } throws: { "\($0)".contains("apt-get install pocketsphinx-en-us") }
    }

    /// sphinxbase exits the process on a damaged model definition, so the headers are checked first.
    @Test func damagedModelIsAnErrorNotAnExit() throws {
        let dir = try TemporaryDirectory()
        let model = dir.path("broken")
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        for name in ["mdef", "means", "variances", "transition_matrices", "sendump"] {
            try Data("not a model\n".utf8).write(to: URL(fileURLWithPath: model + "/" + name))
        }
        #expect { try PocketSphinxRecognizer(modelDirectory: model) } throws: {
            "\($0)".contains(model + "/mdef") && "\($0)".contains("not a PocketSphinx acoustic model file")
        }
    }

    @Test(arguments: [("<s>", nil), ("</s>", nil), ("<sil>", nil), ("[NOISE]", nil), ("++BREATH++", nil),
                      ("the(2)", "the"), ("meters", "meters"), ("(", "(")] as [(String, String?)])
    func fillersAreLeftOut(token: String, word: String?) {
        #expect(PocketSphinxRecognizer.spokenWord(token) == word)
    }
}
