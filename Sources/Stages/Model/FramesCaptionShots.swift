import Foundation
import ModelAPI

/// `frames.caption` with `per: shot`: one request per shot holding its frames, each after its time,
/// after the few-shot examples in the same shape; one caption per shot.
extension FramesCaption {
    static func perShot(parameters: Parameters, context: StageContext, frames: [SampledFrame], shots: [ShotSpan]?,
                        examples: [LoadedExample]) throws -> StageWork {
        let provider = try context.requireProvider(name)
        let stage = context.stageName.isEmpty ? name : context.stageName
        let groups = try ShotFrames.group(frames, shots: shots, stage: stage).filter { !$0.frames.isEmpty }
        let title = URL(fileURLWithPath: context.videoPath).deletingPathExtension().lastPathComponent
        let template = parameters.prompt.isEmpty ? defaultShotPrompt : parameters.prompt
        let lead = shotLead(examples: examples, template: template)
        let requests = groups.map { group in
            let images = group.sent(limit: parameters.maxImages).map { (time: $0.time, jpeg: $0.jpeg) }
            let prompt = PromptTemplate.render(template, [
                "time": VideoRecordText.seconds(group.start), "start": VideoRecordText.seconds(group.start),
                "end": VideoRecordText.seconds(group.end), "title": title,
            ])
            return ChatRequest(model: parameters.model.isEmpty ? nil : parameters.model,
                               messages: lead + [ChatMessage(role: .user, parts: ShotFrames.interleaved(images) + [.text(prompt)])],
                               maxTokens: parameters.maxTokens, temperature: parameters.temperature)
        }
        let sampled = groups.filter { $0.frames.count > parameters.maxImages }
        let note = sampled.isEmpty ? nil
            : "\(sampled.count) of \(groups.count) shots had more than max_images (\(parameters.maxImages)) frames "
                + "(up to \(sampled.map(\.frames.count).max()!)): sampled evenly"
        return .computeWithNote {
            let results = provider.chatAll(requests)
            var captions: [FrameCaption] = []
            for (group, result) in zip(groups, results) {
                switch result {
                case .success(let answer):
                    // At the shot's first frame (its frames row), spanning the shot.
                    captions.append(FrameCaption(time: group.frames[0].time, text: clean(answer.text), model: answer.model,
                                                 end: max(group.end, group.frames[0].time)))
                case .failure(let error):
                    throw StageModelError("shot \(group.index) (\(VideoRecordText.seconds(group.start))–"
                                          + "\(VideoRecordText.seconds(group.end)) s): \(error.message)")
                }
            }
            return (.captions(captions), note)
        }
    }

    /// The system message and the examples, as alternating user/assistant turns of the request's shape.
    static func shotLead(examples: [LoadedExample], template: String) -> [ChatMessage] {
        var messages: [ChatMessage] = [.system(shotSystemMessage)]
        for example in examples {
            let start = example.images.first?.time ?? 0, end = example.images.last?.time ?? 0
            let prompt = PromptTemplate.render(template, [
                "time": VideoRecordText.seconds(start), "start": VideoRecordText.seconds(start),
                "end": VideoRecordText.seconds(end), "title": "example",
            ])
            messages.append(ChatMessage(role: .user, parts: ShotFrames.interleaved(example.images) + [.text(prompt)]))
            messages.append(.assistant(example.caption))
        }
        return messages
    }
}
