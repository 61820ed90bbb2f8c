import Neural

/// The image CNN architectures `triage train image --arch` offers.
public enum ImageArchitecture: String, Codable, Sendable, CaseIterable {
    /// Four conv blocks with BatchNorm (28 -> 14 -> 7), global average pooling, dense head.
    case small
    /// A small ResNet: a stem and three residual blocks with BatchNorm (widths w, 2w, 4w; 28 -> 14 -> 7 -> 7).
    case resnet
}

/// The size of an image network: exactly what rebuilds it.
public struct ImageNetworkConfiguration: Codable, Sendable, Equatable {
    /// Which layout.
    public var architecture: ImageArchitecture = .resnet
    /// Filters of the first block; later blocks use 2x and 4x.
    public var width = 32
    /// Input channels C (image channels x zoom levels).
    public var inputChannels = 1
    /// Outputs K (classes, or labels for multi-label tasks).
    public var outputs = 2
    /// Dropout before the head.
    public var dropout: Float = 0.2

    /// A configuration.
    public init(architecture: ImageArchitecture = .resnet, width: Int = 32, inputChannels: Int = 1, outputs: Int = 2,
                dropout: Float = 0.2) {
        self.architecture = architecture
        self.width = width
        self.inputChannels = inputChannels
        self.outputs = outputs
        self.dropout = dropout
    }
}

/// Builds image CNNs on the Neural engine. Layout: (B, H, W, C) -> (B, K) logits.
///
/// Every node is named `b<N>.<part>` for block N (1 = the stem) or `head.<part>`,
/// so `--freeze N` can stop the first N blocks. Departs from ResNet-18 (He et
/// al. 2016; the MedMNIST baseline) in depth and width: three residual blocks
/// instead of eight, and only the stem at full resolution, to train in minutes on two cores.
public enum ImageNetwork {
    /// The network for `configuration`, freshly initialised (seeded by `WeightSeed`).
    public static func build(_ configuration: ImageNetworkConfiguration) -> Graph {
        let g = Graph()
        add(configuration, to: g, from: g.input("image"))
        return g
    }

    /// Adds the network's nodes to `g` reading node `from`, every name prefixed by `prefix`; returns the logits node.
    @discardableResult
    static func add(_ configuration: ImageNetworkConfiguration, to g: Graph, from input: String, prefix: String = "") -> String {
        let c = configuration, w = max(c.width, 1)
        var x = input
        func convBN(_ block: Int, _ part: String, _ from: String, _ input: Int, _ output: Int,
                    kernel: Int = 3, stride: Int = 1, relu: Bool = true) -> String {
            var y = g.add(Conv2D(inputChannels: input, filters: output, kernelSize: (kernel, kernel),
                                 stride: (stride, stride), padding: .same), from, name: "\(prefix)b\(block).\(part)conv")
            y = g.add(BatchNorm(features: output), y, name: "\(prefix)b\(block).\(part)bn")
            if relu { y = g.add(Activation(.relu), y, name: "\(prefix)b\(block).\(part)relu") }
            return y
        }
        func residual(_ block: Int, _ from: String, _ input: Int, _ output: Int, stride: Int) -> String {
            let body1 = convBN(block, "a", from, input, output, stride: stride)
            let body2 = convBN(block, "b", body1, output, output, relu: false)
            let shortcut = input == output && stride == 1
                ? from
                : convBN(block, "s", from, input, output, kernel: 1, stride: stride, relu: false)
            let sum = g.sum([body2, shortcut], name: "\(prefix)b\(block).sum")
            return g.add(Activation(.relu), sum, name: "\(prefix)b\(block).out")
        }
        switch c.architecture {
        case .small:
            x = convBN(1, "", x, c.inputChannels, w)
            x = convBN(2, "", x, w, w)
            x = g.add(Pool2D(.max, size: (2, 2)), x, name: "\(prefix)b2.pool")
            x = convBN(3, "a", x, w, 2 * w)
            x = convBN(3, "b", x, 2 * w, 2 * w)
            x = g.add(Pool2D(.max, size: (2, 2)), x, name: "\(prefix)b3.pool")
            x = convBN(4, "", x, 2 * w, 4 * w)
        case .resnet:
            // Only the stem runs at full size: the residual blocks start by halving it, which keeps
            // a 28 x 28 network at ~17M multiply-adds per image (w = 32).
            x = convBN(1, "", x, c.inputChannels, w)
            x = residual(2, x, w, w, stride: 2)
            x = residual(3, x, w, 2 * w, stride: 2)
            x = residual(4, x, 2 * w, 4 * w, stride: 1)
        }
        x = g.add(GlobalPool(.average), x, name: "\(prefix)head.pool")
        if c.dropout > 0 { x = g.add(Dropout(rate: c.dropout), x, name: "\(prefix)head.dropout") }
        return g.add(Dense(inputSize: 4 * w, outputSize: c.outputs), x, name: "\(prefix)head.dense")
    }

    /// One network averaging the logits of trained `members` (same configuration): member m's nodes are
    /// prefixed `m<m>.`, their logits summed and scaled by 1/N in a fixed `ensemble.mean` Dense layer.
    public static func ensemble(_ members: [Graph], configuration: ImageNetworkConfiguration) -> Graph {
        guard members.count > 1 else { return members.first ?? build(configuration) }
        let g = Graph()
        let input = g.input("image")
        var outputs: [String] = []
        for m in members.indices { outputs.append(add(configuration, to: g, from: input, prefix: "m\(m + 1).")) }
        let k = configuration.outputs
        let mean = Dense(inputSize: k, outputSize: k)
        mean.weight.value.zero()
        mean.bias?.value.zero()
        for i in 0..<k { mean.weight.value.pointer[i * k + i] = 1 / Float(members.count) }
        mean.freeze()
        g.add(mean, g.sum(outputs, name: "ensemble.sum"), name: "ensemble.mean")
        let target = Dictionary(uniqueKeysWithValues: (g.namedParameters + g.namedBuffers).map { ($0.0, $0.1) })
        for (m, member) in members.enumerated() {
            for (name, parameter) in member.namedParameters + member.namedBuffers {
                target["m\(m + 1).\(name)"]?.value.copy(from: parameter.value)
            }
        }
        return g
    }

    /// The architecture and width of a network `build` made (nil for any other network).
    public static func configuration(of model: Layer) -> ImageNetworkConfiguration? {
        guard let graph = model as? Graph, let stem = graph.layer(named: "b1.conv") as? Conv2D else { return nil }
        let architecture: ImageArchitecture = graph.layer(named: "b2.aconv") != nil ? .resnet : .small
        return ImageNetworkConfiguration(architecture: architecture, width: stem.filters, inputChannels: stem.inputChannels)
    }

    /// The number of blocks `--freeze` can stop (the head is never frozen).
    public static let blockCount = 4

    /// Freezes blocks 1...`blocks`: their parameters stop learning and their BatchNorm layers keep
    /// normalising with (and stop updating) the running statistics of the model they came from.
    /// Returns how many parameter tensors were frozen.
    @discardableResult
    public static func freeze(_ graph: Graph, blocks: Int) -> Int {
        guard blocks > 0 else { return 0 }
        func inFrozenBlock(_ name: String) -> Bool {
            guard name.hasPrefix("b"), let dot = name.firstIndex(of: "."), let block = Int(name.dropFirst().prefix(upTo: dot))
            else { return false }
            return block <= blocks
        }
        var frozen = 0
        for (name, parameter) in graph.namedParameters where inFrozenBlock(name) {
            parameter.frozen = true
            frozen += 1
        }
        for (name, layer) in graph.namedLayers where inFrozenBlock(name) {
            (layer as? BatchNorm)?.frozenStatistics = true
        }
        return frozen
    }

    /// Copies every weight and buffer of `source` whose name and shape match into `target`
    /// (a new head of another size is left as initialised); returns the names copied.
    @discardableResult
    public static func transfer(from source: Layer, to target: Layer) -> [String] {
        let available = Dictionary((source.namedParameters + source.namedBuffers).map { ($0.0, $0.1) },
                                   uniquingKeysWith: { a, _ in a })
        var copied: [String] = []
        for (name, parameter) in target.namedParameters + target.namedBuffers {
            guard let from = available[name], from.value.shape == parameter.value.shape else { continue }
            parameter.value.copy(from: from.value)
            copied.append(name)
        }
        return copied
    }
}
