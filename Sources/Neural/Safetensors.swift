import Foundation

/// Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets}}` (plus optional `__metadata__` strings), then raw
/// little-endian data. Triage writes F32 only; Python's `safetensors` and PyTorch read the files.
public enum Safetensors {
    /// Encodes named tensors (in the given order) and string metadata.
    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // pad with spaces so the data is 8-byte aligned
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for (_, t) in tensors {
            // Float32 is little-endian on every platform Triage runs on (x86-64, arm64).
            out.append(UnsafeBufferPointer(start: t.pointer, count: t.count))
        }
        return out
    }

    /// Writes `tensors` to `url`.
    public static func save(_ tensors: [(String, Tensor)], metadata: [String: String] = [:], to url: URL) throws {
        try encode(tensors, metadata: metadata).write(to: url, options: .atomic)
    }

    /// Decodes every F32 tensor of a safetensors file; `path` names the file in errors.
    public static func decode(_ data: Data, path: String = "<data>") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func bad(_ why: String) -> NeuralError { .badFile(path, why) }
        guard data.count >= 8 else { throw bad("file is \(data.count) bytes, shorter than the 8-byte safetensors header length") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8), headerLength <= 100_000_000 else {
            throw bad("header length \(headerLength) exceeds the file (\(data.count) bytes): truncated or not safetensors")
        }
        let start = data.startIndex
        let headerData = data[(start + 8)..<(start + 8 + Int(headerLength))]
        guard let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else {
            throw bad("the safetensors header is not a JSON object")
        }
        let body = start + 8 + Int(headerLength), bodySize = data.count - 8 - Int(headerLength)
        var tensors: [String: Tensor] = [:], metadata: [String: String] = [:]
        var ranges: [(start: Int, end: Int, name: String)] = []
        for (name, value) in header {
            if name == "__metadata__" { metadata = value as? [String: String] ?? [:]; continue }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor \(name) has no valid dtype, shape and data_offsets")
            }
            guard dtype == "F32" else { throw bad("tensor \(name) has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] >= offsets[0] else {
                throw bad("tensor \(name) has a negative shape or offsets")
            }
            guard offsets[1] <= bodySize else {
                throw bad("tensor \(name) ends at byte \(offsets[1]) of a \(bodySize)-byte data section: file truncated")
            }
            // The shape's product, in checked arithmetic (this module is built -Ounchecked).
            var count = 1
            for dimension in shape {
                let (r, overflow) = count.multipliedReportingOverflow(by: dimension)
                guard !overflow, r <= bodySize / 4 else {
                    throw bad("tensor \(name) of shape \(shape) is larger than the file's \(bodySize)-byte data section")
                }
                count = r
            }
            guard offsets[1] - offsets[0] == 4 * count else {
                throw bad("tensor \(name) of shape \(shape) needs \(4 * count) bytes, offsets give \(offsets[1] - offsets[0])")
            }
            ranges.append((offsets[0], offsets[1], name))
            let t = Tensor(shape: shape)
            if count > 0 {
                data[(body + offsets[0])..<(body + offsets[1])].withUnsafeBytes { raw in
                    if let source = raw.baseAddress { UnsafeMutableRawPointer(t.pointer).copyMemory(from: source, byteCount: raw.count) }
                }
            }
            tensors[name] = t
        }
        // Tensors may not share bytes: overlapping ranges would let a small file claim any amount of memory.
        ranges.sort { $0.start < $1.start }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.start < a.end {
            throw bad("tensors \(a.name) and \(b.name) overlap in the data section")
        }
        return (tensors, metadata)
    }

    /// Reads every tensor of the file at `url`.
    public static func load(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw NeuralError.badFile(url.path, "cannot read: \(error.localizedDescription)") }
        return try decode(data, path: url.path)
    }
}

/// What a saved model's JSON config holds besides its weights.
public struct ModelFile: Codable, Equatable, Sendable {
    /// Version of this file layout.
    public var format = 1
    /// The model's layers, which rebuild it.
    public var architecture: LayerConfig
    /// Output label names, in output order.
    public var labels: [String]
    /// How raw input becomes tensors (tokenizer, vocabulary file, image size...), free-form.
    public var preprocessing: [String: String]
    /// Metrics measured when the model was saved.
    public var metrics: [String: Double]

    /// A model description.
    public init(architecture: LayerConfig, labels: [String] = [], preprocessing: [String: String] = [:],
                metrics: [String: Double] = [:]) {
        self.architecture = architecture
        self.labels = labels
        self.preprocessing = preprocessing
        self.metrics = metrics
    }

    /// File name of the JSON config inside a model directory.
    public static let configName = "config.json"
    /// File name of the weights inside a model directory.
    public static let weightsName = "weights.safetensors"

    /// Runs `write` on a new sibling folder of `directory`, then puts that folder in its place: a run
    /// killed while writing leaves the previous model (or none), never a config without its weights.
    public static func replacingFolder(_ directory: URL, _ write: (URL) throws -> Void) throws {
        let fm = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
            try write(staging)
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
                let old = parent.appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
                try? fm.removeItem(at: old)
                try fm.moveItem(at: directory, to: old)
                try fm.moveItem(at: staging, to: directory)
                try? fm.removeItem(at: old)
            } else {
                try fm.moveItem(at: staging, to: directory)
            }
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
    }

    /// Saves `model` into `directory` (created if needed) as config.json + weights.safetensors.
    public static func save(_ model: Layer, to directory: URL, labels: [String] = [],
                            preprocessing: [String: String] = [:], metrics: [String: Double] = [:]) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = ModelFile(architecture: model.config, labels: labels, preprocessing: preprocessing, metrics: metrics)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(file).write(to: directory.appendingPathComponent(configName), options: .atomic)
        let tensors = (model.namedParameters + model.namedBuffers).map { ($0.0, $0.1.value) }
        try Safetensors.save(tensors, metadata: ["format": "pt"], to: directory.appendingPathComponent(weightsName))
    }

    /// Loads a model directory written by `save`: rebuilds the layers and loads every weight.
    /// `validate` checks the config (a caller's own rules: the input size the network must read, the
    /// labels) before the weights file is read, so that a config that cannot work costs no more than
    /// its own bytes, whatever the size of the weights beside it.
    public static func load(from directory: URL, validate: (ModelFile) throws -> Void = { _ in }) throws -> (model: Layer, file: ModelFile) {
        let configURL = directory.appendingPathComponent(configName)
        let file: ModelFile
        do {
            file = try JSONDecoder().decode(ModelFile.self, from: Data(contentsOf: configURL))
        } catch let e as NeuralError {
            throw e
        } catch {
            throw NeuralError.badFile(configURL.path, "cannot read the model config: \(error)")
        }
        try validate(file)
        // The weights the config implies must fit in the weights file before any layer is built.
        let weightsURL = directory.appendingPathComponent(weightsName)
        let implied: Int
        do { implied = try file.architecture.parameterCount() } catch let NeuralError.invalidConfig(why) {
            throw NeuralError.badFile(configURL.path, why)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: weightsURL.path)[.size] as? Int) ?? 0
        guard implied <= bytes / 4 else {
            throw NeuralError.badFile(configURL.path, "the architecture needs \(implied) weights; \(weightsName) holds at most \(bytes / 4)")
        }
        let model: Layer
        // Every weight comes from the file (all must be there), so none is drawn at random first.
        do { model = try WeightSeed.withoutInitialising { try file.architecture.makeLayer() } } catch let NeuralError.invalidConfig(why) {
            throw NeuralError.badFile(configURL.path, "invalid layer configuration: \(why)")
        }
        do { try loadWeights(into: model, from: weightsURL) } catch let error as NeuralError {
            if case .badFile = error { throw error }
            throw NeuralError.badFile(weightsURL.path, "\(error)")
        }
        return (model, file)
    }

    /// Loads weights saved from a model of the same architecture; every tensor's shape is checked
    /// and all must be present (extra tensors in the file are an error too).
    public static func loadWeights(into model: Layer, from url: URL) throws {
        let (tensors, _) = try Safetensors.load(from: url)
        let wanted = model.namedParameters + model.namedBuffers
        var matched: [(Parameter, Tensor)] = []
        for (name, p) in wanted {
            guard let t = tensors[name] else { throw NeuralError.missingTensor(name) }
            guard t.shape == p.value.shape else { throw NeuralError.shapeMismatch(name: name, expected: p.value.shape, found: t.shape) }
            matched.append((p, t))
        }
        let names = Set(wanted.map(\.0))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw NeuralError.badFile(url.path, "tensor \(extra) does not belong to this model's architecture")
        }
        for (name, t) in tensors where !t.isFinite {
            throw NeuralError.badFile(url.path, "tensor \(name) holds NaN or infinite values")
        }
        for (p, t) in matched { p.value.copy(from: t) }
    }
}
