import Corpus
import Foundation
import Neural

extension Workspace {
    /// What a model file or folder is, as a registry entry: text models are one `.safetensors`
    /// file, image and TB resistance models a folder whose config says which. Its metrics and
    /// training data come from the corpus's registry when the file is registered there.
    public func describeModel(at path: String) throws -> RegisteredModel {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw TriageError(.unusable, "no model here", file: path)
        }
        if hasCorpus, let registered = try? corpus().read({ try $0.models() }).first(where: { $0.file == absolute }) {
            return registered
        }
        let name = ((absolute as NSString).lastPathComponent as NSString).deletingPathExtension
        let kind: RegisteredModel.Kind
        var task = ""
        if isDirectory.boolValue {
            let config = URL(fileURLWithPath: absolute).appendingPathComponent(ModelFile.configName)
            guard let data = FileManager.default.contents(atPath: config.path),
                  let file = try? JSONDecoder().decode(ModelFile.self, from: data) else {
                throw TriageError(.unusable, "a folder without a model configuration (\(ModelFile.configName))", file: path)
            }
            kind = file.preprocessing["task"] == "tb-resistance" ? .resistance : .image
            task = file.preprocessing["task"] ?? ""
        } else {
            kind = .text
        }
        return RegisteredModel(name: name, kind: kind, task: task, file: absolute, metrics: [:],
                               training: TrainingData(source: "", architecture: "", trainExamples: 0, labels: []))
    }
}
