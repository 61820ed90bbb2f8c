import Foundation
import Neural

/// Text models are one safetensors file: the weights of every member (`member0.embedding.weight`,
/// `member0.body.…`) and, in its metadata, `format` and `config` (the JSON `Configuration`).
extension TextClassifier {
    /// Writes the model to `path` (folders created as needed), replacing any file there.
    public func save(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw TextModelError("cannot create the folder \(folder.path) for the model: \(error.localizedDescription)")
        }
        var tensors: [(String, Tensor)] = []
        for (m, network) in networks.enumerated() {
            for (name, parameter) in network.namedParameters { tensors.append(("member\(m).\(name)", parameter.value)) }
        }
        for (m, bank) in scopeBanks.enumerated() { tensors.append(("member\(m).scope.bank", bank)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let config = String(decoding: try encoder.encode(configuration), as: UTF8.self)
        do {
            try Safetensors.save(tensors, metadata: ["format": TextClassifier.format, "config": config], to: url)
        } catch {
            throw TextModelError("cannot write the model to \(path): \(error)")
        }
    }

    /// Reads a model written by `save`, with errors that say what the file is when it is not a text model.
    public static func load(from path: String) throws -> TextClassifier {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextModelError("no model at \(path); train one with `triage train text --task NAME --arch cnn --output \(path)`")
        }
        if isDirectory.boolValue {
            let config = URL(fileURLWithPath: path).appendingPathComponent(ModelFile.configName).path
            if FileManager.default.fileExists(atPath: config) {
                throw TextModelError("\(path) is an engine model folder (an image or resistance model?), not a text model; "
                                     + "pass a file written by `triage train text`")
            }
            throw TextModelError("\(path) is a folder, not a text model file")
        }
        let loaded: (tensors: [String: Tensor], metadata: [String: String])
        do { loaded = try Safetensors.load(from: URL(fileURLWithPath: path)) } catch {
            throw TextModelError("\(path) is not a model file written by `triage train text`: \(error)")
        }
        guard let format = loaded.metadata["format"], let json = loaded.metadata["config"] else {
            throw TextModelError("\(path) is a safetensors file without a Triage text-model configuration (not written by `triage train text`)")
        }
        guard format == TextClassifier.format else {
            throw TextModelError("\(path) is a '\(format)' model, not a text classifier ('\(TextClassifier.format)')")
        }
        let configuration: Configuration
        do { configuration = try JSONDecoder().decode(Configuration.self, from: Data(json.utf8)) } catch {
            throw TextModelError("\(path): the model configuration cannot be read: \(error)")
        }
        guard configuration.network.idCount == configuration.preparation.idCount,
              configuration.network.classes == configuration.classes.count, configuration.members >= 1 else {
            throw TextModelError("\(path): the model configuration is inconsistent (vocabulary or classes do not match the network)")
        }
        var networks: [TextNetwork] = []
        for m in 0..<configuration.members {
            let network = try TextNetwork(configuration.network, seed: nil)
            for (name, parameter) in network.namedParameters {
                let key = "member\(m).\(name)"
                guard let tensor = loaded.tensors[key] else {
                    throw TextModelError("\(path): the weights lack \(key) (file truncated or from another version)")
                }
                guard tensor.shape == parameter.value.shape else {
                    throw TextModelError("\(path): \(key) has shape \(tensor.shape), the network needs \(parameter.value.shape)")
                }
                parameter.value.copy(from: tensor)
            }
            networks.append(network)
        }
        let classifier = TextClassifier(configuration: configuration, networks: networks)
        if let scope = configuration.scope {
            var banks: [Tensor] = []
            for m in 0..<configuration.members {
                guard let bank = loaded.tensors["member\(m).scope.bank"], bank.shape.count == 2, bank.shape[0] >= 1 else {
                    throw TextModelError("\(path): the model has a scope but member \(m)'s bank of training cases is missing")
                }
                banks.append(bank)
            }
            classifier.setScope(scope, banks: banks)
        }
        return classifier
    }
}
