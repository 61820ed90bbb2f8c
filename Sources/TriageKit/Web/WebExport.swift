import Corpus
import Foundation
import Inputs
import Models
import Neural

/// How `export web` stores weights.
public enum WebQuantization: String, Codable, Sendable, CaseIterable {
    /// float32, as trained: the runtime's probabilities equal the engine's to 1e-5 relative.
    case none
    /// IEEE half precision: half the size.
    case float16
    /// 8-bit integers with one float scale per row (symmetric, max |w| / 127): a quarter of the size.
    case int8
}

/// Options of `export web`: models, the folder to write, and how weights are stored.
public struct ExportWebOptions: Codable, Sendable {
    /// Model files, folders or registered names (text, image and TB resistance models).
    public var models: [String]
    /// The folder to write (created; files of the same names are replaced).
    public var output: String
    /// How the weights are stored.
    public var quantize: WebQuantization = .none
    /// A CSV of labelled texts (text models) or a MedMNIST .npz (image models) on which a
    /// quantised export's accuracy is compared with float32's.
    public var check: String?
    /// Its text and label columns.
    public var textColumn = "text", labelColumn = "label"
    /// The split of an .npz check file.
    public var checkSplit: ImageSplit = .test
    /// TB resistance models: the TB data folder whose H37Rv and annotation are exported with them
    /// (nil: `$TRIAGE_TB_DATA`, else data/tb, else ../shared/data/tb).
    public var tbData: String?
    /// A model that cannot be exported (a TB resistance model without its reference data, a
    /// damaged file) is left out and named in the summary with the reason, instead of failing the
    /// whole export; the export fails only when every model is left out (what `triage serve` does).
    public var leaveOutUnexportable = false

    /// Options exporting `models` to `output`.
    public init(models: [String], output: String) {
        self.models = models
        self.output = output
    }
}

/// What `export web` wrote.
public struct ExportWebSummary: Codable, Sendable, TextReport {
    /// One exported model.
    public struct Model: Codable, Sendable {
        /// Its folder inside the output folder.
        public var folder: String
        public var kind: String
        public var task: String
        public var classes: Int
        /// Bytes of its weights file.
        public var weightBytes: Int
        /// With a quantised export and a check file: accuracy of float32 and of the export on its
        /// labelled texts (or images), the share whose top class (image labels: every decision at
        /// 0.5) is unchanged, and the largest change of a probability.
        public var check: QuantisationCheck?
        /// A TB resistance model: what its folder holds besides the network (WebExport+TB.swift).
        public var tb: TBExportContents? = nil
    }

    /// A quantised export measured against float32 on labelled texts (or images).
    public struct QuantisationCheck: Codable, Sendable {
        /// Texts, or images for an image model.
        public var texts: Int
        public var accuracyFloat32: Double
        public var accuracyQuantised: Double
        public var topAgreement: Double
        public var maxProbabilityChange: Double
    }

    /// A model `leaveOutUnexportable` left out.
    public struct LeftOut: Codable, Sendable {
        /// The model as it was given (a file, folder or registered name).
        public var given: String
        /// Its name (the given one when it could not be read) and kind.
        public var name: String, kind: String
        /// Why it cannot be exported (the error `export web` would have stopped with).
        public var reason: String
    }

    /// The folder written.
    public var output: String
    public var quantize: WebQuantization
    public var models: [Model]
    /// Models left out (only with `leaveOutUnexportable`).
    public var leftOut: [LeftOut]

    /// A summary of the folder written.
    public init(output: String, quantize: WebQuantization, models: [Model], leftOut: [LeftOut] = []) {
        self.output = output
        self.quantize = quantize
        self.models = models
        self.leftOut = leftOut
    }

    public var text: String {
        var lines = ["wrote \(output): index.html (open it from disk, offline), triage.js, models.js"]
        for m in models {
            lines.append("  \(m.folder)/: \(m.kind) model of task \(m.task), \(m.classes) classes, "
                         + "weights \(m.weightBytes) bytes (\(quantize.rawValue == "none" ? "float32" : quantize.rawValue))")
            if let tb = m.tb { lines.append("    " + tb.text) }
            if let c = m.check {
                lines.append(String(format: "    on %d labelled %@: accuracy %.2f%% float32, %.2f%% %@ (%+.2f points); same top class %.2f%%; largest probability change %.2g",
                                    c.texts, m.kind == "image" ? "images" : "texts", 100 * c.accuracyFloat32, 100 * c.accuracyQuantised, quantize.rawValue,
                                    100 * (c.accuracyQuantised - c.accuracyFloat32), 100 * c.topAgreement, c.maxProbabilityChange))
            }
        }
        for m in leftOut { lines.append("  left out \(m.name) (\(m.kind)): \(m.reason)") }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// The runtime and the page `export web` writes, compiled into the binary (Sources/TriageKit/Web).
enum WebAssets {
    static var runtime: String { String(decoding: PackageResources.triage_js, as: UTF8.self) }
    static var page: String { String(decoding: PackageResources.index_html, as: UTF8.self) }
    /// The runtime without its `export` line: what the page's classic worker runs.
    static var runtimeCore: String {
        let s = runtime
        guard let marker = s.range(of: "// MARK: - Exports") else { return s }
        return String(s[..<marker.lowerBound])
    }
    /// The format of model.json.
    static let format = "triage-web-model/1"
}

extension Workspace {
    /// Writes a static folder that scores with the given models in a browser or node, offline:
    /// index.html, triage.js (the runtime), models.js (the models for the page from disk) and per
    /// model a folder with model.json and its weights.
    public func exportWeb(_ options: ExportWebOptions, context: JobContext = .silent) throws -> ExportWebSummary {
        guard !options.models.isEmpty else {
            throw TriageError(.unusable, "no model to export: give --model M (a model written by `triage train text` or `triage train image`)")
        }
        let output = URL(fileURLWithPath: options.output)
        var exported: [ExportWebSummary.Model] = []
        var bundles: [String] = []
        var folders = Set<String>()
        var leftOut: [ExportWebSummary.LeftOut] = []
        for path in options.models {
            let model: RegisteredModel, written: (config: Data, weights: Data), summary: ExportWebSummary.Model
            var folder = ""
            do {
                model = try resolveModel(path)
                folder = WebExport.folderName(model.name)
                var n = 2
                while folders.contains(folder) { folder = WebExport.folderName(model.name) + "-\(n)"; n += 1 }
            } catch where options.leaveOutUnexportable {
                leftOut.append(.init(given: path, name: path, kind: "unknown", reason: "\(TriageError(error))"))
                continue
            }
            context.note("exporting \(model.name) to \(folder)/")
            do {
                (written, summary) = try exportWebModel(model, path: path, folder: folder, options: options, context: context)
            } catch where options.leaveOutUnexportable {
                let reason = "\(TriageError(error))"
                context.warn("left out \(model.name): \(reason)")
                leftOut.append(.init(given: path, name: model.name, kind: model.kind.rawValue, reason: reason))
                continue
            }
            folders.insert(folder)
            let dir = output.appendingPathComponent(folder)
            try WebExport.write(written.config, to: dir.appendingPathComponent("model.json"))
            try WebExport.write(written.weights, to: dir.appendingPathComponent(WebExport.weightsName))
            bundles.append(WebExport.bundle(folder: folder, written))
            exported.append(summary)
        }
        if exported.isEmpty, !leftOut.isEmpty {
            throw TriageError(.unusable, "no model could be exported: " + leftOut.map { "\($0.name): \($0.reason)" }.joined(separator: "; "))
        }
        let core = WebAssets.runtimeCore
        guard !core.lowercased().contains("</script") else {
            throw TriageError(.failed, "the runtime holds a closing script tag and cannot be inlined in index.html (a bug in Triage)")
        }
        try WebExport.write(Data(WebAssets.runtime.utf8), to: output.appendingPathComponent("triage.js"))
        try WebExport.write(Data(WebAssets.page.replacingOccurrences(of: "/*RUNTIME*/", with: core).utf8),
                            to: output.appendingPathComponent("index.html"))
        let models = "// The models for index.html opened from disk (a page on file:// cannot fetch model.json).\n"
            + "self.TRIAGE_OFFLINE = {\"models\":[" + bundles.joined(separator: ",") + "]};\n"
        try WebExport.write(Data(models.utf8), to: output.appendingPathComponent("models.js"))
        return ExportWebSummary(output: output.path, quantize: options.quantize, models: exported, leftOut: leftOut)
    }

    /// model.json and the weights of one model, by its kind.
    private func exportWebModel(_ model: RegisteredModel, path: String, folder: String, options: ExportWebOptions,
                                context: JobContext) throws -> ((config: Data, weights: Data), ExportWebSummary.Model) {
        switch model.kind {
        case .image:
            return try exportWebImage(model, folder: folder, options: options, context: context)
        case .resistance:
            return try exportResistance(model, folder: folder, options: options, context: context)
        case .text:
            let classifier: TextClassifier
            do { classifier = try TextClassifier.load(from: model.file) } catch { throw TriageError(error) }
            if let check = options.check, WebExport.isImageCheck(check), options.quantize != .none {
                throw TriageError(.unusable, "--check \(check) is an .npz of images, and \(path) is a text model: "
                                  + "export it separately with a CSV of labelled texts as --check")
            }
            let written = try WebExport.text(classifier, name: model.name, quantize: options.quantize)
            var summary = ExportWebSummary.Model(folder: folder, kind: "text", task: classifier.configuration.task,
                                                 classes: classifier.classes.count, weightBytes: written.weights.count, check: nil)
            if options.quantize != .none, let check = options.check {
                summary.check = try quantisationCheck(classifier, quantize: options.quantize, options: options, file: check, context: context)
            }
            return (written, summary)
        }
    }

    /// A model file or folder, or a name registered in the corpus.
    func resolveModel(_ path: String) throws -> RegisteredModel {
        if FileManager.default.fileExists(atPath: path) { return try describeModel(at: path) }
        if hasCorpus, let registered = try? corpus().read({ try $0.model(named: path) }) { return registered }
        throw TriageError(.unusable, "no model file or registered model named \(path)")
    }

    /// Accuracy of float32 and of the quantised weights on the labelled texts of `file`.
    func quantisationCheck(_ classifier: TextClassifier, quantize: WebQuantization, options: ExportWebOptions,
                           file: String, context: JobContext) throws -> ExportWebSummary.QuantisationCheck {
        let rows: [LabelledText]
        do {
            let table = try CSVTable.parse(try InputFile.read(file), path: InputFile.displayName(file))
            rows = try TextCorpus.examples(from: table, textColumn: options.textColumn, labelColumn: options.labelColumn, idColumn: nil)
                .examples.filter { !TextScoring.isEmpty($0.text) }
        } catch { throw TriageError(error) }
        guard !rows.isEmpty else { throw TriageError(.unusable, "no labelled text to check the quantised model on", file: file) }
        let before = classifier.probabilities(rows.map(\.text))
        // The same networks with each weight replaced by what the runtime will read.
        for network in classifier.networks {
            for (_, parameter) in network.namedParameters {
                let t = parameter.value
                let rowLength = t.shape.last ?? t.count
                let values = Array(UnsafeBufferPointer(start: t.pointer, count: t.count))
                let restored = WebExport.dequantised(values, rowLength: rowLength, quantize: quantize)
                for i in 0..<t.count { t.pointer[i] = restored[i] }
            }
        }
        let after = classifier.probabilities(rows.map(\.text))
        func argmax(_ p: [Float]) -> Int { p.indices.max { p[$0] != p[$1] ? p[$0] < p[$1] : $0 > $1 } ?? 0 }
        var right32 = 0, rightQ = 0, same = 0, change: Float = 0
        for (i, row) in rows.enumerated() {
            let a = argmax(before[i]), b = argmax(after[i])
            if classifier.classes[a] == row.label { right32 += 1 }
            if classifier.classes[b] == row.label { rightQ += 1 }
            if a == b { same += 1 }
            for k in before[i].indices { change = max(change, abs(before[i][k] - after[i][k])) }
        }
        let n = Double(rows.count)
        return .init(texts: rows.count, accuracyFloat32: Double(right32) / n, accuracyQuantised: Double(rightQ) / n,
                     topAgreement: Double(same) / n, maxProbabilityChange: Double(change))
    }
}

/// The files of one exported model.
public enum WebExport {
    static let weightsName = "weights.bin"

    /// One model of models.js: its folder, model.json and weights (base64).
    static func bundle(folder: String, _ written: (config: Data, weights: Data)) -> String {
        "{\"folder\":" + TextScoring.quoted(folder) + ",\"config\":" + String(decoding: written.config, as: UTF8.self)
            + ",\"weights\":\"" + written.weights.base64EncodedString() + "\"}"
    }

    /// A folder name from a model name: letters, digits, '-', '_' and '.' (not leading), at most 64.
    static func folderName(_ name: String) -> String {
        let cleaned = String(name.unicodeScalars.map { u -> Character in
            let v = u.value
            let plain = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x2D || v == 0x5F || v == 0x2E
            return plain ? Character(u) : "_"
        }.prefix(64))
        let trimmed = cleaned.drop { $0 == "." }
        return trimmed.isEmpty ? "model" : String(trimmed)
    }

    /// model.json and the weights of a text classifier.
    static func text(_ classifier: TextClassifier, name: String, quantize: WebQuantization) throws -> (config: Data, weights: Data) {
        let c = classifier.configuration
        let hasScope = classifier.configuration.scope != nil && classifier.scopeBanks.count == classifier.networks.count
            && classifier.scopeBanks.allSatisfy { $0.count > 0 }
        var named: [(String, Tensor)] = []
        for (m, network) in classifier.networks.enumerated() {
            for (tensorName, parameter) in network.namedParameters { named.append(("member\(m).\(tensorName)", parameter.value)) }
            // Then its scope bank (unit features of training cases) when the model has a scope.
            if hasScope { named.append(("member\(m).scope.bank", classifier.scopeBanks[m])) }
        }
        let (weights, tensors) = tensorFile(named, quantize: quantize)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var preparation = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(c.preparation))
        if case .object(var fields) = preparation {
            fields["maxTokenBytes"] = .number(Double(TextPreparation.maxTokenBytes))
            preparation = .object(fields)
        }
        let config: [String: JSONValue] = [
            "format": .string(WebAssets.format),
            "kind": .string("text"),
            "name": .string(name),
            "task": .string(c.task),
            "labelSource": .string(c.labelSource),
            "classes": .array(c.classes.map { .string($0) }),
            "members": .number(Double(c.members)),
            "calibrationPower": c.calibrationPower.map { .number($0) } ?? .null,
            "metrics": .object(c.metrics.mapValues { $0.isFinite ? .number($0) : .null }),
            "createdAt": .string(c.createdAt),
            "network": try JSONDecoder().decode(JSONValue.self, from: encoder.encode(c.network)),
            "preparation": preparation,
            "unicode": try JSONDecoder().decode(JSONValue.self, from: encoder.encode(TextUnicodeTables.current)),
            "scope": hasScope ? scope(classifier) : .null,
            "weights": .object(["file": .string(weightsName), "dtype": .string(quantize == .none ? "float32" : quantize.rawValue), "tensors": .array(tensors)]),
        ]
        return (try encoder.encode(JSONValue.object(config)), weights)
    }

    /// Appends a tensor's values stored as `quantize` (int8: one scale per row of `rowLength`
    /// values) to `weights`, aligned for its type; returns its entry of model.json's tensor list.
    static func appendTensor(_ name: String, shape: [Int], values: [Float], as quantize: WebQuantization, rowLength: Int,
                             to weights: inout Data) -> [String: JSONValue] {
        while weights.count % (quantize == .none ? 4 : quantize == .float16 ? 2 : 1) != 0 { weights.append(0) }
        var entry: [String: JSONValue] = [
            "name": .string(name),
            "shape": .array(shape.map { .number(Double($0)) }),
            "offset": .number(Double(weights.count)),
        ]
        switch quantize {
        case .none:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { weights.append(contentsOf: $0) } }
        case .float16:
            for v in values { withUnsafeBytes(of: halfBits(v).littleEndian) { weights.append(contentsOf: $0) } }
        case .int8:
            let (codes, scales) = int8(values, rowLength: rowLength)
            weights.append(contentsOf: codes.map { UInt8(bitPattern: $0) })
            entry["scales"] = .array(scales.map { .number(Double($0)) })
        }
        return entry
    }

    /// What the runtime needs to judge a text's scope as `TextClassifier.probabilitiesAndScope`
    /// does (the validation texts' sorted views, their joined p-values, the threshold) and the
    /// sentence `triage score` prints for a case out of scope.
    static func scope(_ classifier: TextClassifier) -> JSONValue {
        guard let scope = classifier.configuration.scope else { return .null }
        let numbers = { (values: [Double]) in JSONValue.array(values.map { .number($0) }) }
        return .object([
            "familiarity": numbers(scope.familiarity.map(Double.init)), "confidence": numbers(scope.confidence.map(Double.init)),
            "neighbourhood": numbers(scope.neighbourhood.map(Double.init)), "joined": numbers(scope.joined),
            "threshold": .number(scope.threshold), "notice": .string(TextScoring.outOfScopeNotice(classes: classifier.classes)),
        ])
    }

    /// The weights file of named tensors stored as `quantize` says, and model.json's list of them
    /// (name, shape, byte offset; per-row scales for int8).
    static func tensorFile(_ named: [(String, Tensor)], quantize: WebQuantization) -> (weights: Data, tensors: [JSONValue]) {
        var weights = Data()
        var tensors: [JSONValue] = []
        for (name, t) in named {
            let values = Array(UnsafeBufferPointer(start: t.pointer, count: t.count))
            tensors.append(.object(appendTensor(name, shape: t.shape, values: values, as: quantize,
                                                rowLength: t.shape.last ?? t.count, to: &weights)))
        }
        return (weights, tensors)
    }

    /// IEEE half-precision bits of `v`, rounded to nearest even (Float16's conversion).
    static func halfBits(_ v: Float) -> UInt16 { Float16(v).bitPattern }

    /// Symmetric 8-bit codes per row of `rowLength` values and each row's scale (max |w| / 127).
    static func int8(_ values: [Float], rowLength: Int) -> (codes: [Int8], scales: [Float]) {
        let n = max(1, rowLength)
        var codes = [Int8](repeating: 0, count: values.count)
        var scales: [Float] = []
        for start in stride(from: 0, to: values.count, by: n) {
            let row = values[start..<min(values.count, start + n)]
            let largest = row.map { abs($0) }.max() ?? 0
            let scale = largest > 0 ? largest / 127 : 0
            scales.append(scale)
            for (i, v) in zip(row.indices, row) { codes[i] = scale > 0 ? Int8(max(-127, min(127, (v / scale).rounded()))) : 0 }
        }
        return (codes, scales)
    }

    /// What the runtime reads back from `values` stored as `quantize`.
    static func dequantised(_ values: [Float], rowLength: Int, quantize: WebQuantization) -> [Float] {
        switch quantize {
        case .none: return values
        case .float16: return values.map { Float(Float16($0)) }
        case .int8:
            let (codes, scales) = int8(values, rowLength: rowLength)
            let n = max(1, rowLength)
            return codes.indices.map { Float(codes[$0]) * scales[$0 / n] }
        }
    }

    static func write(_ data: Data, to url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw TriageError(.unusable, "cannot write \(url.path): \(error.localizedDescription)")
        }
    }
}
