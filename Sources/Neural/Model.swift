/// The configuration of a layer: exactly its constructor arguments. Encodes to JSON and
/// rebuilds the layer (fresh weights) with `makeLayer()`; containers nest their children.
public indirect enum LayerConfig: Codable, Equatable, Sendable {
    case dense(inputSize: Int, outputSize: Int, bias: Bool)
    case embedding(vocabularySize: Int, dimension: Int, paddingIndex: Int?)
    case bagEmbedding(rows: Int, dimension: Int, idsPerPosition: Int)
    case conv1D(inputChannels: Int, filters: Int, kernelSize: Int, stride: Int, padding: Padding, dilation: Int)
    case conv2D(inputChannels: Int, filters: Int, kernelSize: [Int], stride: [Int], padding: Padding, activation: Activation.Kind?)
    case pool1D(mode: Pool1D.Mode, size: Int, stride: Int)
    case pool2D(mode: Pool1D.Mode, size: [Int], stride: [Int])
    case globalPool(mode: Pool1D.Mode)
    case lstm(inputSize: Int, hiddenSize: Int, returnSequences: Bool)
    case bidirectional(inputSize: Int, hiddenSize: Int, returnSequences: Bool)
    case dropout(rate: Float)
    case batchNorm(features: Int, momentum: Float, epsilon: Float)
    case layerNorm(features: Int, epsilon: Float)
    case activation(kind: Activation.Kind)
    case flatten
    case editedSequenceConv(references: [String], filters: Int, kernelSize: Int)
    case sequential(layers: [LayerConfig])
    case graph(nodes: [Graph.Node], output: String)

    /// The most weights `makeLayer` builds (8 GiB of Float32); loaders check the weights file first.
    public static let maximumParameters = 1 << 31

    /// Builds the layer this configuration describes, with freshly initialised weights; sizes are
    /// checked first (`parameterCount`), so a bad configuration throws instead of allocating.
    public func makeLayer() throws -> Layer {
        let parameters = try parameterCount()
        guard parameters <= LayerConfig.maximumParameters else {
            throw NeuralError.invalidConfig("\(kindName) would hold \(parameters) weights, more than \(LayerConfig.maximumParameters)")
        }
        return try build()
    }

    /// `makeLayer` once the sizes are checked.
    private func build() throws -> Layer {
        func pair(_ a: [Int], _ what: String) throws -> (Int, Int) {
            guard a.count == 2, a[0] > 0, a[1] > 0 else { throw NeuralError.invalidConfig("\(what) must be two positive integers, got \(a)") }
            return (a[0], a[1])
        }
        func positive(_ values: Int...) throws {
            guard values.allSatisfy({ $0 > 0 }) else { throw NeuralError.invalidConfig("sizes must be positive in \(self)") }
        }
        switch self {
        case let .dense(i, o, b):
            try positive(i, o); return Dense(inputSize: i, outputSize: o, bias: b)
        case let .embedding(v, d, p):
            try positive(v, d)
            if let p, p < 0 || p >= v { throw NeuralError.invalidConfig("padding index \(p) outside vocabulary \(v)") }
            return Embedding(vocabularySize: v, dimension: d, paddingIndex: p)
        case let .bagEmbedding(r, d, s):
            try positive(r, d, s); return BagEmbedding(rows: r, dimension: d, idsPerPosition: s)
        case let .conv1D(c, f, k, s, p, d):
            try positive(c, f, k, s, d)
            return Conv1D(inputChannels: c, filters: f, kernelSize: k, stride: s, padding: p, dilation: d)
        case let .conv2D(c, f, k, s, p, a):
            try positive(c, f)
            if let a, !a.derivativeFromOutput { throw NeuralError.invalidConfig("Conv2D cannot fuse activation \(a); use an Activation layer") }
            return Conv2D(inputChannels: c, filters: f, kernelSize: try pair(k, "kernelSize"), stride: try pair(s, "stride"),
                          padding: p, activation: a)
        case let .pool1D(m, size, s): try positive(size, s); return Pool1D(m, size: size, stride: s)
        case let .pool2D(m, size, s): return Pool2D(m, size: try pair(size, "size"), stride: try pair(s, "stride"))
        case let .globalPool(m): return GlobalPool(m)
        case let .lstm(i, h, r): try positive(i, h); return LSTM(inputSize: i, hiddenSize: h, returnSequences: r)
        case let .bidirectional(i, h, r): try positive(i, h); return Bidirectional(inputSize: i, hiddenSize: h, returnSequences: r)
        case let .dropout(rate):
            guard rate >= 0 && rate < 1 else { throw NeuralError.invalidConfig("dropout rate \(rate) outside [0, 1)") }
            return Dropout(rate: rate)
        case let .batchNorm(f, m, e): try positive(f); return BatchNorm(features: f, momentum: m, epsilon: e)
        case let .layerNorm(f, e): try positive(f); return LayerNorm(features: f, epsilon: e)
        case let .activation(k): return Activation(k)
        case .flatten: return Flatten()
        case let .editedSequenceConv(references, f, k):
            try positive(f, k)
            let letters = Set("ACGTN".utf8)
            guard references.allSatisfy({ $0.utf8.allSatisfy(letters.contains) }) else {
                throw NeuralError.invalidConfig("editedSequenceConv references may hold only the bases A, C, G, T and N")
            }
            return EditedSequenceConv(references: references.map { Array($0.utf8) }, filters: f, kernelSize: k)
        case let .sequential(layers): return Sequential(try layers.map { try $0.makeLayer() })
        case let .graph(nodes, output): return try Graph(nodes: nodes, output: output)
        }
    }
}

/// Errors from building, loading and saving models.
public enum NeuralError: Error, CustomStringConvertible, Equatable {
    /// A configuration that cannot build a layer.
    case invalidConfig(String)
    /// A weights or config file that cannot be read (path, reason).
    case badFile(String, String)
    /// A tensor in a file whose shape differs from the model's.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor the model needs that the file lacks.
    case missingTensor(String)

    public var description: String {
        switch self {
        case .invalidConfig(let why): return "invalid layer configuration: \(why)"
        case let .badFile(path, why): return "\(path): \(why)"
        case let .shapeMismatch(name, e, f): return "tensor \(name): the model expects shape \(e) but the file has \(f)"
        case .missingTensor(let name): return "tensor \(name) is missing from the weights file"
        }
    }
}

/// A stack of layers applied in order. Parameters are named "index.name" ("0.weight"), as
/// PyTorch's `nn.Sequential`.
public final class Sequential: Layer {
    /// The layers, first applied first.
    public private(set) var layers: [Layer]
    public var needsInputGradient = false { didSet { if let first = layers.first { first.needsInputGradient = needsInputGradient } } }

    /// A model applying `layers` in order. The first layer computes no input gradient.
    public init(_ layers: [Layer]) {
        self.layers = layers
        for (i, l) in layers.enumerated() { l.needsInputGradient = i > 0 }
    }

    /// Appends a layer.
    public func append(_ layer: Layer) {
        layer.needsInputGradient = layers.isEmpty ? needsInputGradient : true
        layers.append(layer)
    }

    /// Replaces layer `index` (e.g. a new classification head for fine-tuning).
    public func replace(at index: Int, with layer: Layer) {
        require(layers.indices.contains(index), "Sequential has no layer \(index); it has \(layers.count).")
        layer.needsInputGradient = index == 0 ? needsInputGradient : true
        layers[index] = layer
    }

    /// Removes and returns the last layer.
    @discardableResult public func removeLast() -> Layer { layers.removeLast() }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var namedParameters: [(String, Parameter)] {
        layers.enumerated().flatMap { i, l in l.namedParameters.map { ("\(i).\($0.0)", $0.1) } }
    }
    public var namedBuffers: [(String, Parameter)] {
        layers.enumerated().flatMap { i, l in l.namedBuffers.map { ("\(i).\($0.0)", $0.1) } }
    }
    public var config: LayerConfig { .sequential(layers: layers.map(\.config)) }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        for l in layers { x = l.forward(x, training: training) }
        return x
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        var g = dOutput
        for l in layers.reversed() { g = l.backward(g) }
        return g
    }
}

/// A directed acyclic graph of named nodes, for models with several inputs or branches
/// (wide & deep; two CNNs side by side; residual blocks). Nodes run in the order added.
///
///     let g = Graph()
///     let tokens = g.input("tokens"), features = g.input("features")
///     let text = g.add(Sequential([Embedding(...), LSTM(...)]), tokens, name: "text")
///     let both = g.concat([text, features])
///     g.add(Dense(inputSize: 128 + 40, outputSize: 10), both, name: "head")
///     let logits = g.forward(inputs: [tokenTensor, featureTensor], training: true)
///
/// Parameters are named "node.name" ("head.weight"). Concatenation joins the last axis; `sum`
/// adds tensors of equal shape (residual connections).
public final class Graph: Layer {
    /// One node as saved in the config.
    public struct Node: Codable, Equatable, Sendable {
        /// Unique node name.
        public var name: String
        /// What the node computes.
        public var op: Op
        /// Names of the nodes it reads.
        public var inputs: [String]
    }
    /// A node's operation.
    public enum Op: Codable, Equatable, Sendable {
        case input
        case layer(LayerConfig)
        case concat
        case sum
    }

    private var nodes: [Node] = []
    private var layers: [Layer?] = []
    private var inputIndices: [[Int]] = []
    private var outputs: [Tensor] = []
    private var grads: [Tensor] = []
    private var hasGrad: [Bool] = []
    private var outputIndex: Int?
    /// Input node names, in the order `forward(inputs:)` takes them.
    public private(set) var inputNames: [String] = []
    public var needsInputGradient = false { didSet { updateInputGradientFlags() } }
    /// After `backward`, the gradient for each input node (empty where not needed).
    public private(set) var inputGradients: [Tensor] = []

    /// An empty graph.
    public init() {}

    /// Rebuilds a graph from its saved nodes.
    public convenience init(nodes: [Node], output: String) throws {
        self.init()
        for n in nodes {
            switch n.op {
            case .input: try checkedAppend(n, layer: nil)
            case .layer(let c): try checkedAppend(n, layer: try c.makeLayer())
            case .concat, .sum: try checkedAppend(n, layer: nil)
            }
        }
        guard let o = nodes.firstIndex(where: { $0.name == output }) else {
            throw NeuralError.invalidConfig("graph output \(output) is not a node")
        }
        outputIndex = o
    }

    private func checkedAppend(_ node: Node, layer: Layer?) throws {
        guard !nodes.contains(where: { $0.name == node.name }) else {
            throw NeuralError.invalidConfig("graph node name \(node.name) is used twice")
        }
        var idx: [Int] = []
        for name in node.inputs {
            guard let i = nodes.firstIndex(where: { $0.name == name }) else {
                throw NeuralError.invalidConfig("graph node \(node.name) reads \(name), which is not an earlier node")
            }
            idx.append(i)
        }
        switch node.op {
        case .input: guard idx.isEmpty else { throw NeuralError.invalidConfig("input node \(node.name) cannot have inputs") }
        case .layer: guard idx.count == 1 else { throw NeuralError.invalidConfig("layer node \(node.name) needs one input") }
        case .concat, .sum: guard !idx.isEmpty else { throw NeuralError.invalidConfig("node \(node.name) needs inputs") }
        }
        nodes.append(node)
        layers.append(layer)
        inputIndices.append(idx)
        outputs.append(Tensor()); grads.append(Tensor()); hasGrad.append(false)
        if node.op == .input { inputNames.append(node.name) }
        updateInputGradientFlags()
    }

    private func append(_ node: Node, layer: Layer?) -> String {
        do { try checkedAppend(node, layer: layer) } catch { fatalError("\(error)") }
        return node.name
    }

    private func updateInputGradientFlags() {
        for (i, l) in layers.enumerated() {
            guard let l else { continue }
            l.needsInputGradient = nodes[inputIndices[i][0]].op == .input ? needsInputGradient : true
        }
    }

    /// Adds an input node; `forward(inputs:)` takes inputs in the order they were added.
    @discardableResult public func input(_ name: String) -> String {
        append(Node(name: name, op: .input, inputs: []), layer: nil)
    }

    /// Adds a node applying `layer` to node `from`; returns its name (default "node<i>").
    @discardableResult public func add(_ layer: Layer, _ from: String, name: String? = nil) -> String {
        append(Node(name: name ?? "node\(nodes.count)", op: .layer(layer.config), inputs: [from]), layer: layer)
    }

    /// Adds a node concatenating `from` along the last axis.
    @discardableResult public func concat(_ from: [String], name: String? = nil) -> String {
        append(Node(name: name ?? "node\(nodes.count)", op: .concat, inputs: from), layer: nil)
    }

    /// Adds a node summing `from` element-wise (equal shapes): residual connections.
    @discardableResult public func sum(_ from: [String], name: String? = nil) -> String {
        append(Node(name: name ?? "node\(nodes.count)", op: .sum, inputs: from), layer: nil)
    }

    /// Makes `name` the output node (default: the last node added).
    public func output(_ name: String) {
        guard let i = nodes.firstIndex(where: { $0.name == name }) else { fatalError("Graph has no node \(name).") }
        outputIndex = i
    }

    /// The layer of node `name`, if it is a layer node.
    /// The output node `name` gave in the last `forward` (nil before one, or for an unknown name).
    /// The tensor is the graph's own buffer: copy what must outlive the next forward.
    public func output(of name: String) -> Tensor? {
        guard let i = nodes.firstIndex(where: { $0.name == name }), i < outputs.count else { return nil }
        return outputs[i]
    }

    /// Every layer node's name and layer, in graph order.
    public var namedLayers: [(String, Layer)] {
        zip(nodes, layers).compactMap { n, l in l.map { (n.name, $0) } }
    }

    public func layer(named name: String) -> Layer? {
        nodes.firstIndex(where: { $0.name == name }).flatMap { layers[$0] }
    }

    public var parameters: [Parameter] { layers.compactMap { $0 }.flatMap(\.parameters) }
    public var namedParameters: [(String, Parameter)] {
        zip(nodes, layers).flatMap { n, l in (l?.namedParameters ?? []).map { ("\(n.name).\($0.0)", $0.1) } }
    }
    public var namedBuffers: [(String, Parameter)] {
        zip(nodes, layers).flatMap { n, l in (l?.namedBuffers ?? []).map { ("\(n.name).\($0.0)", $0.1) } }
    }
    public var config: LayerConfig {
        var saved = nodes
        for i in saved.indices { if let l = layers[i] { saved[i].op = .layer(l.config) } }
        return .graph(nodes: saved, output: nodes[outputIndex ?? nodes.count - 1].name)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor { forward(inputs: [input], training: training) }

    /// Runs the graph on one tensor per input node (in `inputNames` order).
    public func forward(inputs: [Tensor], training: Bool) -> Tensor {
        require(inputs.count == inputNames.count, "Graph has \(inputNames.count) inputs, got \(inputs.count) tensors.")
        var next = 0
        for i in nodes.indices {
            let from = inputIndices[i]
            switch nodes[i].op {
            case .input: outputs[i] = inputs[next]; next += 1
            case .layer: outputs[i] = layers[i]!.forward(outputs[from[0]], training: training)
            case .concat:
                let parts = from.map { outputs[$0] }
                let lead = Array(parts[0].shape.dropLast())
                require(parts.allSatisfy { Array($0.shape.dropLast()) == lead },
                             "Graph node \(nodes[i].name) concatenates shapes \(parts.map(\.shape)).")
                let widths = parts.map { $0.shape.last ?? 1 }, total = widths.reduce(0, +)
                let out = ownedOutput(i)
                out.resize(lead + [total])
                out.lengths = parts.lazy.compactMap(\.lengths).first
                let rows = out.count / Swift.max(total, 1)
                var offset = 0
                for (p, w) in zip(parts, widths) {
                    for r in 0..<rows { (out.pointer + r * total + offset).update(from: p.pointer + r * w, count: w) }
                    offset += w
                }
            case .sum:
                let parts = from.map { outputs[$0] }
                require(parts.allSatisfy { $0.shape == parts[0].shape }, "Graph node \(nodes[i].name) adds shapes \(parts.map(\.shape)).")
                let out = ownedOutput(i)
                out.copy(from: parts[0])
                for p in parts.dropFirst() { Vec.axpy(1, p.pointer, out.pointer, out.count) }
            }
        }
        return outputs[outputIndex ?? nodes.count - 1]
    }

    /// Concat and sum nodes write into a tensor the graph owns (kept in `grads`' sibling slot).
    private var owned: [Int: Tensor] = [:]
    private func ownedOutput(_ i: Int) -> Tensor {
        if let t = owned[i] { outputs[i] = t; return t }
        let t = Tensor(); owned[i] = t; outputs[i] = t; return t
    }

    private func accumulate(_ g: Tensor, into i: Int) {
        guard g.count > 0 else { return }
        if hasGrad[i] { Vec.axpy(1, g.pointer, grads[i].pointer, g.count) } else { grads[i].copy(from: g); hasGrad[i] = true }
    }

    public func backward(_ dOutput: Tensor) -> Tensor {
        for i in hasGrad.indices { hasGrad[i] = false }
        accumulate(dOutput, into: outputIndex ?? nodes.count - 1)
        for i in nodes.indices.reversed() where hasGrad[i] {
            let g = grads[i], from = inputIndices[i]
            switch nodes[i].op {
            case .input: break
            case .layer: accumulate(layers[i]!.backward(g), into: from[0])
            case .sum: for f in from { accumulate(g, into: f) }
            case .concat:
                let total = g.shape.last ?? 1, rows = g.count / Swift.max(total, 1)
                var offset = 0
                for f in from {
                    let w = outputs[f].shape.last ?? 1
                    if !hasGrad[f] { grads[f].resize(outputs[f].shape); grads[f].zero(); hasGrad[f] = true }
                    for r in 0..<rows { Vec.axpy(1, g.pointer + r * total + offset, grads[f].pointer + r * w, w) }
                    offset += w
                }
            }
        }
        inputGradients = nodes.indices.filter { nodes[$0].op == .input }.map { hasGrad[$0] ? grads[$0] : Tensor.none }
        return inputGradients.first ?? Tensor.none
    }
}
