// A model file is untrusted input: before a configuration builds layers (allocates) or runs
// (indexes), its sizes are checked against limits, its parameter count against the bytes of the
// weights, and the shape of every layer's input against what the layer reads.

extension LayerConfig {
    /// The largest value any size of a loaded configuration may take (channels, units, kernel,
    /// vocabulary rows, image side). Products of sizes are checked for overflow as well.
    public static let maximumSize = 1 << 24
    /// The most values a Conv2D's im2col rows may take for one item of a batch (512 MB of floats).
    public static let maximumConvolutionColumns: Int64 = 1 << 27

    /// The number of weights (and saved statistics) the layer holds, or an error when a size is not
    /// positive, is above `maximumSize`, or the count overflows. Allocates nothing.
    public func parameterCount() throws -> Int {
        func sizes(_ values: Int...) throws {
            for v in values where v < 1 || v > LayerConfig.maximumSize {
                throw NeuralError.invalidConfig("size \(v) is outside 1...\(LayerConfig.maximumSize) in \(self.kindName)")
            }
        }
        func product(_ values: Int...) throws -> Int {
            var p = 1
            for v in values {
                let (r, overflow) = p.multipliedReportingOverflow(by: v)
                guard !overflow, r <= 1 << 40 else { throw NeuralError.invalidConfig("\(self.kindName) would hold more weights than any model file") }
                p = r
            }
            return p
        }
        func pair(_ a: [Int], _ what: String) throws {
            guard a.count == 2 else { throw NeuralError.invalidConfig("\(what) of \(kindName) must be two integers, got \(a)") }
            try sizes(a[0], a[1])
        }
        switch self {
        case let .dense(i, o, b): try sizes(i, o); return try product(i, o) + (b ? o : 0)
        case let .embedding(v, d, _): try sizes(v, d); return try product(v, d)
        case let .bagEmbedding(r, d, s): try sizes(r, d, s); return try product(r, d)
        case let .conv1D(c, f, k, s, _, d): try sizes(c, f, k, s, d); return try product(k, c, f) + f
        case let .conv2D(c, f, k, s, _, _):
            try sizes(c, f); try pair(k, "kernelSize"); try pair(s, "stride")
            return try product(k[0], k[1], c, f) + f
        case let .pool1D(_, size, s): try sizes(size, s); return 0
        case let .pool2D(_, size, s): try pair(size, "size"); try pair(s, "stride"); return 0
        case .globalPool, .activation, .flatten: return 0
        case let .editedSequenceConv(references, f, k):
            try sizes(f, k)
            guard !references.isEmpty, references.count <= 1 << 12 else {
                throw NeuralError.invalidConfig("editedSequenceConv needs 1 to \(1 << 12) loci, not \(references.count)")
            }
            var bases = 0
            for r in references {
                bases += r.utf8.count
                guard bases <= LayerConfig.maximumSize else {
                    throw NeuralError.invalidConfig("editedSequenceConv loci hold more than \(LayerConfig.maximumSize) bases")
                }
            }
            _ = try product(2, references.count, f)  // the output row
            // The reference outputs a forward holds: at most 256 MB.
            guard try product(bases, f) <= 1 << 26 else {
                throw NeuralError.invalidConfig("editedSequenceConv would keep \(bases) x \(f) reference outputs, more than \(1 << 26)")
            }
            return try product(f, k, 4) + f
        case let .dropout(rate):
            guard rate.isFinite, rate >= 0, rate < 1 else { throw NeuralError.invalidConfig("dropout rate \(rate) outside [0, 1)") }
            return 0
        case let .lstm(i, h, _): try sizes(i, h); let w = try product(4, h, i + h), b = try product(4, h); return w + b
        case let .bidirectional(i, h, _): try sizes(i, h); let w = try product(4, h, i + h), b = try product(4, h); return 2 * (w + b)
        case let .batchNorm(f, m, e):
            try sizes(f)
            guard m.isFinite, e.isFinite, e > 0 else { throw NeuralError.invalidConfig("batchNorm momentum \(m) / epsilon \(e) are not usable") }
            return 4 * f
        case let .layerNorm(f, e):
            try sizes(f)
            guard e.isFinite, e > 0 else { throw NeuralError.invalidConfig("layerNorm epsilon \(e) is not positive") }
            return 2 * f
        case let .sequential(layers):
            return try layers.reduce(0) { sum, layer in
                let (r, overflow) = sum.addingReportingOverflow(try layer.parameterCount())
                guard !overflow else { throw NeuralError.invalidConfig("the model would hold more weights than any model file") }
                return r
            }
        case let .graph(nodes, _):
            return try nodes.reduce(0) { sum, node in
                guard case .layer(let c) = node.op else { return sum }
                let (r, overflow) = sum.addingReportingOverflow(try c.parameterCount())
                guard !overflow else { throw NeuralError.invalidConfig("the model would hold more weights than any model file") }
                return r
            }
        }
    }

    /// The output shape for an input of shape `input` (batch first), or an error naming the layer
    /// and the mismatch. Checks sizes (`parameterCount`) first; allocates nothing.
    public func outputShape(for input: [Int]) throws -> [Int] {
        try outputShape(for: [input])
    }

    /// `outputShape(for:)` for graphs with several inputs, given in the order of their input nodes.
    public func outputShape(for inputs: [[Int]]) throws -> [Int] {
        _ = try parameterCount()
        func fail(_ why: String) -> NeuralError { .invalidConfig("\(kindName) \(why)") }
        if case let .graph(nodes, output) = self { return try Self.graphShape(nodes, output: output, inputs: inputs) }
        guard inputs.count == 1, let x = inputs.first else { throw fail("takes one input, not \(inputs.count)") }
        guard x.allSatisfy({ $0 >= 1 && $0 <= LayerConfig.maximumSize }) else { throw fail("cannot read an input of shape \(x)") }
        func rank(_ ranks: Int...) throws {
            guard ranks.contains(x.count) else { throw fail("reads \(ranks.map(String.init).joined(separator: " or "))-axis inputs, not \(x)") }
        }
        func last(_ size: Int) throws {
            guard x.last == size else { throw fail("reads \(size) features on the last axis, the input has shape \(x)") }
        }
        func positive(_ shape: [Int]) throws -> [Int] {
            guard shape.allSatisfy({ $0 >= 1 }) else { throw fail("leaves nothing of an input of shape \(x) (output \(shape))") }
            return shape
        }
        switch self {
        case let .dense(i, o, _):
            guard x.count >= 2 else { throw fail("reads (batch, ..., features), not \(x)") }
            try last(i); return Array(x.dropLast()) + [o]
        case let .embedding(_, d, _): try rank(2); return x + [d]
        case let .bagEmbedding(_, d, s):
            try rank(2)
            guard x[1] % s == 0 else { throw fail("reads \(s) ids per position; \(x[1]) ids do not divide") }
            return [x[0], x[1] / s, d]
        case let .conv1D(c, f, k, s, p, d):
            try rank(3); try last(c)
            return try positive([x[0], p.geometry(length: x[1], kernel: k, stride: s, dilation: d).out, f])
        case let .conv2D(c, f, k, s, p, _):
            try rank(4); try last(c)
            let out = try positive([x[0], p.geometry(length: x[1], kernel: k[0], stride: s[0], dilation: 1).out,
                                    p.geometry(length: x[2], kernel: k[1], stride: s[1], dilation: 1).out, f])
            // The forward pass lays each output pixel's window out in a row (im2col): for one item, output
            // pixels x (kernel rows x kernel columns x channels + 1) floats. A kernel far larger than its
            // input passes every other check and would ask for gigabytes here.
            let columns = Int64(out[1]) * Int64(out[2]) * (Int64(k[0]) * Int64(k[1]) * Int64(c) + 1)
            guard columns <= LayerConfig.maximumConvolutionColumns else {
                throw fail("would lay out \(columns) values for one input of shape \(Array(x.dropFirst())) (kernel \(k[0]) x \(k[1]) over \(c) channels), more than \(LayerConfig.maximumConvolutionColumns)")
            }
            return out
        case let .pool1D(_, size, s):
            try rank(3)
            return try positive([x[0], Padding.valid.geometry(length: x[1], kernel: size, stride: s, dilation: 1).out, x[2]])
        case let .pool2D(_, size, s):
            try rank(4)
            return try positive([x[0], Padding.valid.geometry(length: x[1], kernel: size[0], stride: s[0], dilation: 1).out,
                                 Padding.valid.geometry(length: x[2], kernel: size[1], stride: s[1], dilation: 1).out, x[3]])
        case .globalPool: try rank(3, 4); return [x[0], x[x.count - 1]]
        case let .lstm(i, h, sequences): try rank(3); try last(i); return sequences ? [x[0], x[1], h] : [x[0], h]
        case let .bidirectional(i, h, sequences): try rank(3); try last(i); return sequences ? [x[0], x[1], 2 * h] : [x[0], 2 * h]
        case .dropout, .activation: return x
        case let .editedSequenceConv(references, f, _):
            try rank(2)
            let width = 2 * references.count * f
            guard width <= LayerConfig.maximumSize else { throw fail("would give rows of \(width) values") }
            return [x[0], width]
        case let .batchNorm(f, _, _): try rank(2, 3, 4); try last(f); return x
        case let .layerNorm(f, _): guard x.count >= 2 else { throw fail("reads (batch, ..., features), not \(x)") }; try last(f); return x
        case .flatten:
            guard x.count >= 2 else { throw fail("reads (batch, ...), not \(x)") }
            let rest = x.dropFirst().reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
            guard rest <= LayerConfig.maximumSize else { throw fail("would give rows of \(rest) values") }
            return [x[0], rest]
        case let .sequential(layers):
            var shape = x
            for layer in layers { shape = try layer.outputShape(for: shape) }
            return shape
        case .graph: throw fail("is a graph")  // handled above
        }
    }

    /// Shapes node by node, in order; every node reads earlier nodes only.
    private static func graphShape(_ nodes: [Graph.Node], output: String, inputs: [[Int]]) throws -> [Int] {
        var shapes: [String: [Int]] = [:]
        var nextInput = 0
        for node in nodes {
            guard shapes[node.name] == nil else { throw NeuralError.invalidConfig("graph node name \(node.name) is used twice") }
            var read: [[Int]] = []
            for name in node.inputs {
                guard let s = shapes[name] else {
                    throw NeuralError.invalidConfig("graph node \(node.name) reads \(name), which is not an earlier node")
                }
                read.append(s)
            }
            switch node.op {
            case .input:
                guard nextInput < inputs.count else { throw NeuralError.invalidConfig("the graph has more inputs than were given") }
                shapes[node.name] = inputs[nextInput]
                nextInput += 1
            case .layer(let c):
                guard read.count == 1 else { throw NeuralError.invalidConfig("layer node \(node.name) needs one input") }
                do { shapes[node.name] = try c.outputShape(for: read[0]) } catch let NeuralError.invalidConfig(why) {
                    throw NeuralError.invalidConfig("node \(node.name): \(why)")
                }
            case .concat:
                guard let first = read.first, read.allSatisfy({ $0.count == first.count && $0.dropLast() == first.dropLast() }) else {
                    throw NeuralError.invalidConfig("node \(node.name) concatenates shapes that differ before the last axis: \(read)")
                }
                shapes[node.name] = Array(first.dropLast()) + [read.reduce(0) { $0 + ($1.last ?? 0) }]
            case .sum:
                guard let first = read.first, read.allSatisfy({ $0 == first }) else {
                    throw NeuralError.invalidConfig("node \(node.name) adds tensors of different shapes: \(read)")
                }
                shapes[node.name] = first
            }
        }
        guard nextInput == inputs.count else { throw NeuralError.invalidConfig("the graph has \(nextInput) inputs, \(inputs.count) were given") }
        guard let out = shapes[output] else { throw NeuralError.invalidConfig("graph output \(output) is not a node") }
        return out
    }

    /// The layer's name in messages.
    var kindName: String {
        switch self {
        case .dense: return "dense"
        case .embedding: return "embedding"
        case .bagEmbedding: return "bagEmbedding"
        case .conv1D: return "conv1D"
        case .conv2D: return "conv2D"
        case .pool1D: return "pool1D"
        case .pool2D: return "pool2D"
        case .globalPool: return "globalPool"
        case .lstm: return "lstm"
        case .bidirectional: return "bidirectional"
        case .dropout: return "dropout"
        case .batchNorm: return "batchNorm"
        case .layerNorm: return "layerNorm"
        case .activation: return "activation"
        case .flatten: return "flatten"
        case .editedSequenceConv: return "editedSequenceConv"
        case .sequential: return "sequential"
        case .graph: return "graph"
        }
    }
}
