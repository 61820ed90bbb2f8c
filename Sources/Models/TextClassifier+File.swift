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
        // The configuration is untrusted: sizes within limits (before any sum of them is taken) and
        // weights present for all of them before a network is built (allocated) or run.
        if let problem = configuration.problem {
            throw TextModelError("\(path): the model configuration is not usable: \(problem)")
        }
        guard configuration.network.idCount == configuration.preparation.idCount,
              configuration.network.idsPerPosition == configuration.preparation.idsPerPosition,
              configuration.network.classes == configuration.classes.count, configuration.members >= 1 else {
            throw TextModelError("\(path): the model configuration is inconsistent (vocabulary or classes do not match the network)")
        }
        let floatsInFile = loaded.tensors.values.reduce(0) { $0 + $1.count }
        do {
            let perMember = try configuration.network.parameterCount()
            let (needed, overflow) = perMember.multipliedReportingOverflow(by: configuration.members)
            guard !overflow, needed <= floatsInFile else {
                throw TextModelError("\(path): the configuration needs \(configuration.members) x \(perMember) weights; the file holds \(floatsInFile)")
            }
        } catch let error as NeuralError {
            throw TextModelError("\(path): the model configuration is not usable: \(error)")
        }
        if let (name, _) = loaded.tensors.first(where: { !$0.value.isFinite }) {
            throw TextModelError("\(path): tensor \(name) holds NaN or infinite values")
        }
        var networks: [TextNetwork] = []
        var expected = Set<String>()
        for m in 0..<configuration.members {
            let network: TextNetwork
            // Every weight comes from the file (checked below), so none is drawn at random first.
            do { network = try WeightSeed.withoutInitialising { try TextNetwork(configuration.network, seed: nil) } } catch {
                throw TextModelError("\(path): \(error)")
            }
            for (name, parameter) in network.namedParameters {
                let key = "member\(m).\(name)"
                expected.insert(key)
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
            for m in 0..<configuration.members { expected.insert("member\(m).scope.bank") }
        }
        // Weights the configuration does not describe would be ignored: the file is not the model it says.
        if let extra = loaded.tensors.keys.filter({ !expected.contains($0) }).sorted().first {
            throw TextModelError("\(path): tensor \(extra) is not part of the network the configuration describes "
                                 + "(a damaged file, or one from another version)")
        }
        return classifier
    }
}

extension TextClassifier.Configuration {
    /// The longest task, label source or class name a model file may hold.
    static let maximumNameBytes = 4096

    /// Why a configuration read from a file cannot be used (sizes out of range, values not finite), or nil.
    var problem: String? {
        let n = network, p = preparation
        guard (1...64).contains(members) else { return "\(members) ensemble members (1 to 64)" }
        guard classes.count >= 2, Set(classes).count == classes.count else { return "the classes must be 2 or more distinct names" }
        guard [n.dimension, n.hiddenSize, n.filters].allSatisfy({ (1...4096).contains($0) }) else {
            return "embedding size \(n.dimension), hidden size \(n.hiddenSize) and filters \(n.filters) must be in 1...4096"
        }
        guard (1...8).contains(n.kernelSizes.count), n.kernelSizes.allSatisfy({ (1...min(p.maxTokens, 64)).contains($0) }),
              Set(n.kernelSizes).count == n.kernelSizes.count else {
            return "kernel sizes \(n.kernelSizes) must be 1 to 8 distinct widths, each 1...\(min(p.maxTokens, 64))"
        }
        guard n.dropout.isFinite, n.dropout >= 0, n.dropout < 1 else { return "dropout \(n.dropout) is outside [0, 1)" }
        guard p.ngramSizes.count <= 8, p.ngramSizes.allSatisfy({ (1...TextPreparation.maxTokenBytes).contains($0) }) else {
            return "n-gram sizes \(p.ngramSizes) must be at most 8 sizes, each 1...\(TextPreparation.maxTokenBytes)"
        }
        guard (0...(1 << 24)).contains(p.buckets), (1...1024).contains(p.maxNgramsPerWord), (1...65_536).contains(p.maxTokens),
              p.vocabulary.count <= 1 << 24 else {
            return "buckets \(p.buckets), n-grams per word \(p.maxNgramsPerWord), tokens \(p.maxTokens) or the vocabulary's \(p.vocabulary.count) words are out of range"
        }
        guard (0...(1 << 25)).contains(n.idCount), (1...1025).contains(n.idsPerPosition), (2...100_000).contains(n.classes) else {
            return "the network's \(n.idCount) ids, \(n.idsPerPosition) ids per position or \(n.classes) classes are out of range"
        }
        // Training fits the power among 0.5...5; 1e308 would turn every probability into 0 or 1.
        if let c = calibrationPower, !(c.isFinite && c >= 0.1 && c <= 10) { return "calibration power \(c) is outside 0.1...10" }
        if let long = ([task, labelSource] + classes).first(where: { $0.utf8.count > Self.maximumNameBytes }) {
            return "a name of \(long.utf8.count) bytes (task, label source or class; at most \(Self.maximumNameBytes))"
        }
        // A word the tokenizer can never produce (empty, past its longest token, or with a control
        // character such as NUL) is a damaged vocabulary, not a rare word.
        // (A token stops growing at maxTokenBytes, so its last character may pass it by 3 bytes.)
        let longestToken = TextPreparation.maxTokenBytes + 3
        if let bad = p.vocabulary.firstIndex(where: { word in
            word.isEmpty || word.utf8.count > longestToken || word.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }) {
            let word = p.vocabulary[bad]
            return "vocabulary word \(bad + 1) (\(word.prefix(20).debugDescription)\(word.count > 20 ? "..." : ""), \(word.utf8.count) bytes) "
                + "is not a token: tokens are 1...\(longestToken) bytes without control characters"
        }
        guard Set(p.vocabulary).count == p.vocabulary.count else { return "the vocabulary lists a word twice" }
        if let scope {
            let arrays = [scope.familiarity, scope.confidence, scope.neighbourhood]
            guard arrays.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isFinite) }), !scope.joined.isEmpty,
                  scope.joined.allSatisfy(\.isFinite), scope.threshold.isFinite else {
                return "the scope's validation scores are empty or not finite"
            }
            // Scores are places among sorted validation values in [0, 1] (a binary search): unsorted
            // or out-of-range values would give wrong scores without an error.
            guard arrays.allSatisfy({ zip($0, $0.dropFirst()).allSatisfy { $0 <= $1 } }),
                  zip(scope.joined, scope.joined.dropFirst()).allSatisfy({ $0 <= $1 }),
                  scope.joined.allSatisfy({ (0...1).contains($0) }) else {
                return "the scope's validation scores are not sorted values in [0, 1]"
            }
            guard (0...1).contains(scope.threshold), (0...1).contains(scope.validationFlagged),
                  (1...TextScope.bankLimit).contains(scope.bankSize) else {
                return "the scope's threshold \(scope.threshold), flagged share \(scope.validationFlagged) or bank size \(scope.bankSize) "
                    + "is out of range (scores in [0, 1], 1...\(TextScope.bankLimit) cases)"
            }
        }
        return nil
    }
}

extension TextNetworkConfiguration {
    /// The weights one member holds, computed from the sizes alone (checked arithmetic, no allocation).
    func parameterCount() throws -> Int {
        var layers: [LayerConfig] = [.bagEmbedding(rows: idCount, dimension: dimension, idsPerPosition: idsPerPosition)]
        switch architecture {
        case .lstm:
            layers += [.lstm(inputSize: dimension, hiddenSize: hiddenSize, returnSequences: false),
                       .dense(inputSize: hiddenSize, outputSize: classes, bias: true)]
        case .bilstm:
            layers += [.bidirectional(inputSize: dimension, hiddenSize: hiddenSize, returnSequences: false),
                       .dense(inputSize: 2 * hiddenSize, outputSize: classes, bias: true)]
        case .cnn:
            layers += kernelSizes.map { .conv1D(inputChannels: dimension, filters: filters, kernelSize: $0, stride: 1, padding: .same, dilation: 1) }
            layers.append(.dense(inputSize: dimension + filters * kernelSizes.count, outputSize: classes, bias: true))
        }
        return try LayerConfig.sequential(layers: layers).parameterCount()
    }
}
