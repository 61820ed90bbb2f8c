import Corpus
import Foundation
import Models
import Neural
import Vision

// Image models in `export web`: the network as a list of nodes the runtime (triage.js, "Image
// models") runs, the preprocessing `ImagePreprocessing` applies, flip averaging, calibration and
// the output kind; and the accuracy check of quantised weights on a MedMNIST .npz.

extension Workspace {
    /// model.json, weights and the summary line of one image model (with its quantisation check
    /// when asked).
    func exportWebImage(_ model: RegisteredModel, folder: String, options: ExportWebOptions,
                        context: JobContext) throws -> (written: (config: Data, weights: Data), summary: ExportWebSummary.Model) {
        let classifier: ImageClassifier
        do { classifier = try ImageClassifier.load(from: URL(fileURLWithPath: model.file)) } catch { throw TriageError(error) }
        let written = try WebExport.image(classifier, name: model.name, quantize: options.quantize)
        var summary = ExportWebSummary.Model(folder: folder, kind: "image", task: classifier.task, classes: classifier.labels.count,
                                             weightBytes: written.weights.count, check: nil)
        if options.quantize != .none, let check = options.check {
            guard WebExport.isImageCheck(check) else {
                throw TriageError(.unusable, "\(model.name) is an image model: its --check must be a MedMNIST .npz (with --split), not \(check)")
            }
            summary.check = try imageQuantisationCheck(classifier, quantize: options.quantize,
                                                       images: .npz(check, split: options.checkSplit), context: context)
        }
        return (written, summary)
    }

    /// Accuracy of float32 and of the quantised weights on labelled images; for multi-label
    /// models "same top class" is the share of images whose every decision at 0.5 is unchanged.
    func imageQuantisationCheck(_ classifier: ImageClassifier, quantize: WebQuantization, images source: LabelledImageSource,
                                context: JobContext) throws -> ExportWebSummary.QuantisationCheck {
        let (images, truth, split) = try labelledImages(source, for: classifier)
        context.note("checking the \(quantize.rawValue) weights on \(images.count) \(split.rawValue) images")
        let bases = images.map { classifier.preprocessing.base($0) }
        let before = classifier.probabilities(bases: bases)
        for (_, parameter) in classifier.model.namedParameters + classifier.model.namedBuffers {
            let t = parameter.value
            let values = Array(UnsafeBufferPointer(start: t.pointer, count: t.count))
            let restored = WebExport.imageStorage(shape: t.shape, quantize: quantize)
                .map { WebExport.dequantised(values, rowLength: $0.rowLength, quantize: $0.quantize) } ?? values
            for i in 0..<t.count { t.pointer[i] = restored[i] }
        }
        let after = classifier.probabilities(bases: bases)
        let accuracy32 = classifier.evaluate(probabilities: before, labels: truth).accuracy
        let accuracyQ = classifier.evaluate(probabilities: after, labels: truth).accuracy
        func decisions(_ p: [Float]) -> [Int] {
            classifier.multiLabel ? p.map { $0 >= 0.5 ? 1 : 0 } : [p.indices.max { p[$0] != p[$1] ? p[$0] < p[$1] : $0 > $1 } ?? 0]
        }
        var same = 0, change: Float = 0
        for (a, b) in zip(before, after) {
            if decisions(a) == decisions(b) { same += 1 }
            for k in a.indices { change = max(change, abs(a[k] - b[k])) }
        }
        return .init(texts: images.count, accuracyFloat32: accuracy32, accuracyQuantised: accuracyQ,
                     topAgreement: Double(same) / Double(max(images.count, 1)), maxProbabilityChange: Double(change))
    }
}

extension WebExport {
    /// Whether a --check file is a MedMNIST .npz (image models) rather than a CSV of texts.
    static func isImageCheck(_ path: String) -> Bool { path.lowercased().hasSuffix(".npz") }

    /// How an image tensor is stored under `quantize`: kernels and dense weights (2 or more axes)
    /// quantised, int8 with one scale per output filter or unit; biases and batch-norm vectors
    /// (one axis) kept float32 (nil), since a few hundred floats buy nothing and a variance
    /// rounded to a shared scale would move every activation.
    static func imageStorage(shape: [Int], quantize: WebQuantization) -> (quantize: WebQuantization, rowLength: Int)? {
        guard quantize != .none, shape.count >= 2, let first = shape.first, first > 0 else { return nil }
        return (quantize, shape.reduce(1, *) / first)
    }

    /// model.json and the weights of an image classifier.
    static func image(_ classifier: ImageClassifier, name: String, quantize: WebQuantization) throws -> (config: Data, weights: Data) {
        let graph = try imageGraph(classifier.model.config)
        var weights = Data()
        var tensors: [JSONValue] = []
        for (tensorName, parameter) in classifier.model.namedParameters + classifier.model.namedBuffers {
            let t = parameter.value
            let values = Array(UnsafeBufferPointer(start: t.pointer, count: t.count))
            let storage = imageStorage(shape: t.shape, quantize: quantize)
            var entry = appendTensor(tensorName, shape: t.shape, values: values, as: storage?.quantize ?? .none,
                                     rowLength: storage?.rowLength ?? t.count, to: &weights)
            entry["dtype"] = .string(storage?.quantize.rawValue ?? "float32")
            if let storage { entry["rowLength"] = .number(Double(storage.rowLength)) }
            tensors.append(.object(entry))
        }
        let p = classifier.preprocessing
        let number = { (v: Float) in JSONValue.number(Double(v)) }
        let config: [String: JSONValue] = [
            "format": .string(WebAssets.format),
            "kind": .string("image"),
            "name": .string(name),
            "task": .string(classifier.task),
            "labels": .array(classifier.labels.map { .string($0) }),
            "outputs": .string(classifier.multiLabel ? "multi-label" : "multi-class"),
            "preprocessing": .object([
                "width": .number(Double(p.width)), "height": .number(Double(p.height)), "channels": .number(Double(p.channels)),
                "zooms": .array(p.zooms.map(number)), "mean": number(p.mean), "std": number(p.std),
                "flipAveraging": .bool(p.flipAveraging), "calibration": p.calibration.map { .array($0.map(number)) } ?? .null,
            ]),
            "metrics": .object(classifier.metrics.mapValues { $0.isFinite ? .number($0) : .null }),
            "graph": graph,
            "weights": .object(["file": .string(weightsName), "dtype": .string(quantize == .none ? "float32" : quantize.rawValue),
                                "tensors": .array(tensors)]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try encoder.encode(JSONValue.object(config)), weights)
    }

    /// The network as the runtime's node list: {"input", "output", "nodes": [{name, op, inputs,
    /// ...sizes}]}, with ops conv2d, batchnorm, activation, pool2d, globalpool, dense, sum and
    /// concat; dropout (the identity at prediction) is left out. Throws for a layer the runtime
    /// does not run.
    static func imageGraph(_ config: LayerConfig) throws -> JSONValue {
        var nodes: [JSONValue] = []
        var alias: [String: String] = [:]   // a dropped node -> the node it reads
        var input: String?
        func int(_ v: Int) -> JSONValue { .number(Double(v)) }
        func ints(_ v: [Int]) -> JSONValue { .array(v.map(int)) }
        func layer(_ name: String, _ from: String, _ c: LayerConfig) throws {
            var node: [String: JSONValue] = ["name": .string(name), "inputs": .array([.string(alias[from] ?? from)])]
            switch c {
            case let .conv2D(inputChannels, filters, kernelSize, stride, padding, activation):
                node["op"] = .string("conv2d")
                node["inputChannels"] = int(inputChannels); node["filters"] = int(filters)
                node["kernel"] = ints(kernelSize); node["stride"] = ints(stride); node["padding"] = .string(padding.rawValue)
                node["activation"] = try activation.map(activationName) ?? .null
            case let .batchNorm(features, _, epsilon):
                node["op"] = .string("batchnorm"); node["features"] = int(features); node["epsilon"] = .number(Double(epsilon))
            case let .activation(kind):
                node["op"] = .string("activation"); node["activation"] = try activationName(kind)
            case let .pool2D(mode, size, stride):
                node["op"] = .string("pool2d"); node["mode"] = .string(mode.rawValue); node["size"] = ints(size); node["stride"] = ints(stride)
            case let .globalPool(mode):
                node["op"] = .string("globalpool"); node["mode"] = .string(mode.rawValue)
            case let .dense(inputSize, outputSize, bias):
                node["op"] = .string("dense"); node["inputSize"] = int(inputSize); node["outputSize"] = int(outputSize); node["bias"] = .bool(bias)
            case .dropout:
                alias[name] = alias[from] ?? from
                return
            default:
                throw TriageError(.unusable, "the image network's node \(name) is a \(String("\(c)".prefix { $0 != "(" })) layer, which the web runtime does not run")
            }
            nodes.append(.object(node))
        }
        let output: String
        switch config {
        case let .graph(graphNodes, out):
            for n in graphNodes {
                switch n.op {
                case .input:
                    guard input == nil else { throw TriageError(.unusable, "the image network has more than one input") }
                    input = n.name
                case .layer(let c): try layer(n.name, n.inputs.first ?? "", c)
                case .sum, .concat:
                    nodes.append(.object(["name": .string(n.name), "op": .string(n.op == .sum ? "sum" : "concat"),
                                          "inputs": .array(n.inputs.map { .string(alias[$0] ?? $0) })]))
                }
            }
            output = alias[out] ?? out
        case let .sequential(layers):
            input = "input"
            var previous = "input"
            for (i, c) in layers.enumerated() { try layer("\(i)", previous, c); previous = "\(i)" }
            output = alias[previous] ?? previous
        default:
            throw TriageError(.unusable, "the image network is a \(String("\(config)".prefix { $0 != "(" })) layer; the web runtime runs graphs and sequences of layers")
        }
        return .object(["input": .string(input ?? "image"), "output": .string(output), "nodes": .array(nodes)])
    }

    /// The runtime's name of an activation.
    static func activationName(_ kind: Activation.Kind) throws -> JSONValue {
        switch kind {
        case .relu: return .string("relu")
        case .tanh: return .string("tanh")
        case .sigmoid: return .string("sigmoid")
        case .leakyReLU(let slope): return .object(["leakyRelu": .number(Double(slope))])
        case .gelu: throw TriageError(.unusable, "the image network uses GELU, which the web runtime does not run")
        }
    }
}
