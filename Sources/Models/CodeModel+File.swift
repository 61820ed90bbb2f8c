import Foundation
import Inputs
import Mining
import Neural

/// A code model is a folder: `config.json` + `weights.safetensors` (the text network, its codes as
/// labels, the text preparation, threshold and metrics in `preprocessing`/`metrics`), `evidence/`
/// (the evidence network, same layout), `statistics.tsv` (per code: training notes, notes matched,
/// matched and coded), `neighbours.tsv` (per training note: its codes and word-id counts),
/// `lexicon.bin` (the compiled ICD-10-CM terms, `ConditionLexicon.writeCompiled`) and `lexicon-rules.json`.
/// Everything is checked on load: the folder is untrusted input.
extension CodeModel {
    static let evidenceFolder = "evidence", statisticsName = "statistics.tsv", neighboursName = "neighbours.tsv"
    static let lexiconName = "lexicon.bin", rulesName = "lexicon-rules.json"

    /// Writes the model folder at `path`, replacing any folder there only once it is complete.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let preparationJSON = String(decoding: try encoder.encode(preparation), as: UTF8.self)
        let settingsJSON = String(decoding: try encoder.encode(settings), as: UTF8.self)
        do {
            try ModelFile.replacingFolder(URL(fileURLWithPath: path)) { folder in
                try ModelFile.save(network, to: folder, labels: codes,
                                   preprocessing: ["task": CodeModel.format, "preparation": preparationJSON,
                                                   "threshold": String(threshold), "unmatchedOffset": String(unmatchedOffset),
                                                   "trainingNotes": String(trainingNotes), "settings": settingsJSON,
                                                   "neighbours": String(neighbours.k),
                                                   "lexicon": lexicon == nil ? "none" : CodeModel.lexiconName],
                                   metrics: metrics)
                try ModelFile.save(evidence, to: folder.appendingPathComponent(CodeModel.evidenceFolder))
                var notes = ""
                for e in neighbours.entries {
                    notes += e.codes.joined(separator: ";") + "\t" + e.words.map { "\($0.id):\($0.count)" }.joined(separator: " ") + "\n"
                }
                try Data(notes.utf8).write(to: folder.appendingPathComponent(CodeModel.neighboursName))
                let lines = statistics.keys.sorted().map { code -> String in
                    let s = statistics[code]!
                    return "\(code)\t\(s.notes)\t\(s.matched)\t\(s.matchedCoded)"
                }
                try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent(CodeModel.statisticsName))
                if let lexicon {
                    try lexicon.writeCompiled(to: folder.appendingPathComponent(CodeModel.lexiconName).path)
                    try encoder.encode(lexicon.rules).write(to: folder.appendingPathComponent(CodeModel.rulesName))
                }
            }
        } catch let error as TextModelError {
            throw error
        } catch {
            throw TextModelError("cannot write the model to \(path): \(error)")
        }
    }

    /// Reads a folder written by `save`; a missing, malformed or inconsistent part is an error naming its file.
    public static func load(from path: String) throws -> CodeModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TextModelError("no model at \(path); train one with `triage train codes --file F --text-column C --codes-column C --output \(path)`")
        }
        guard isDirectory.boolValue else {
            throw TextModelError("\(path) is a file, not a code model folder (written by `triage train codes`)")
        }
        let folder = URL(fileURLWithPath: path)
        let config = folder.appendingPathComponent(ModelFile.configName).path
        let loaded: (model: Layer, file: ModelFile)
        do { loaded = try ModelFile.load(from: folder) } catch {
            throw TextModelError("\(path) is not a usable code model: \(error)")
        }
        let file = loaded.file
        guard file.preprocessing["task"] == format, let network = loaded.model as? Graph else {
            throw TextModelError("\(config): not a code model (its task is '\(file.preprocessing["task"] ?? "none")'; train one with `triage train codes`)")
        }
        func number(_ key: String) throws -> Double {
            guard let text = file.preprocessing[key], let value = Double(text), value.isFinite else {
                throw TextModelError("\(config): '\(key)' is missing or not a finite number")
            }
            return value
        }
        let threshold = try number("threshold"), unmatched = try number("unmatchedOffset"), notes = try number("trainingNotes")
        guard (0...1).contains(threshold), abs(unmatched) < 100, notes >= 1, notes < 1e9 else {
            throw TextModelError("\(config): the threshold must be in [0, 1], the unmatched offset small and the training notes positive")
        }
        let preparation: TextPreparation
        do { preparation = try JSONDecoder().decode(TextPreparation.self, from: Data((file.preprocessing["preparation"] ?? "").utf8)) } catch {
            throw TextModelError("\(config): the text preparation cannot be read: \(error)")
        }
        let codes = file.labels
        guard codes.count >= 2, Set(codes).count == codes.count, codes.allSatisfy({ !$0.isEmpty && $0.count <= 16 }) else {
            throw TextModelError("\(config): the model must name at least 2 codes, each once")
        }
        guard preparation.idsPerPosition == 1,
              embeddingRows(file.architecture).allSatisfy({ $0 == preparation.idCount }), !embeddingRows(file.architecture).isEmpty else {
            throw TextModelError("\(config): the network's embedding does not fit the vocabulary of \(preparation.vocabulary.count) words")
        }
        do {
            let shape = try file.architecture.outputShape(for: [[1, 4], [1, codes.count]])
            guard shape == [1, codes.count] else {
                throw TextModelError("\(config): the network gives outputs of shape \(shape) for \(codes.count) codes")
            }
        } catch let error as NeuralError {
            throw TextModelError("\(config): the network cannot read notes: \(error)")
        }
        let settings = (try? JSONDecoder().decode([String: String].self, from: Data((file.preprocessing["settings"] ?? "{}").utf8))) ?? [:]

        var statistics: [String: CodeStatistics] = [:]
        let statisticsPath = folder.appendingPathComponent(statisticsName).path
        do {
            let text = try InputFile.text(statisticsPath, maximumSize: 1 << 26)
            for (i, line) in text.split(separator: "\n").enumerated() {
                let f = line.split(separator: "\t").map(String.init)
                guard f.count == 4, let a = Int(f[1]), let b = Int(f[2]), let c = Int(f[3]), a >= 0, b >= 0, c >= 0, c <= b, c <= a,
                      a <= Int(notes), b <= Int(notes), ICD10.isWellFormed(f[0]) else {
                    throw InputError(file: statisticsPath, line: i + 1,
                                     "expected a code, then counts of notes, matched and matched-coded (at most the \(Int(notes)) training notes)")
                }
                statistics[f[0]] = CodeStatistics(notes: a, matched: b, matchedCoded: c)
            }
        } catch let error as InputError {
            throw TextModelError(error.description)
        }

        let neighboursPath = folder.appendingPathComponent(neighboursName).path
        guard let k = Int(file.preprocessing["neighbours"] ?? ""), (1...10_000).contains(k) else {
            throw TextModelError("\(config): 'neighbours' is missing or not a count from 1 to 10000")
        }
        var entries: [CodeNeighbours.Entry] = []
        do {
            let text = try InputFile.text(neighboursPath, maximumSize: 1 << 28)
            for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
                func bad(_ reason: String) -> InputError { InputError(file: neighboursPath, line: i + 1, reason) }
                guard fields.count == 2 else { throw bad("expected the note's codes and its word counts separated by a tab") }
                let codes = fields[0].split(separator: ";").map(String.init)
                guard codes.allSatisfy({ ICD10.isWellFormed($0) && $0.utf8.count <= 16 }) else { throw bad("a code is malformed") }
                var words: [(id: Int32, count: Int32)] = []
                for pair in fields[1].split(separator: " ") {
                    let parts = pair.split(separator: ":")
                    guard parts.count == 2, let id = Int32(parts[0]), let count = Int32(parts[1]),
                          id > TextPreparation.unknownId, Int(id) < preparation.idCount, count >= 1, words.last.map({ $0.id < id }) ?? true else {
                        throw bad("expected ascending word-id:count pairs of the model's vocabulary")
                    }
                    words.append((id, count))
                }
                entries.append(CodeNeighbours.Entry(words: words, codes: codes))
            }
        } catch let error as InputError {
            throw TextModelError(error.description)
        }
        guard entries.count == Int(notes) else {
            throw TextModelError("\(neighboursPath): \(entries.count) notes, but the model was trained on \(Int(notes))")
        }

        var lexicon: ConditionLexicon?
        if file.preprocessing["lexicon"] != "none" {
            let lexiconPath = folder.appendingPathComponent(lexiconName).path
            let rulesPath = folder.appendingPathComponent(rulesName).path
            do {
                let rules: LexiconRules
                do { rules = try JSONDecoder().decode(LexiconRules.self, from: Data(contentsOf: URL(fileURLWithPath: rulesPath))) } catch {
                    throw TextModelError("\(rulesPath): the lexicon rules cannot be read: \(error)")
                }
                lexicon = try ConditionLexicon.readCompiled(lexiconPath, rules: rules)
            } catch let error as InputError {
                throw TextModelError(error.description)
            }
        }
        let evidencePath = folder.appendingPathComponent(evidenceFolder)
        let evidence: Layer
        do {
            let (layer, _) = try ModelFile.load(from: evidencePath)
            let shape = try layer.config.outputShape(for: [1, featureCount])
            guard shape == [1, 1] else {
                throw TextModelError("\(evidencePath.path): the evidence network gives outputs of shape \(shape) for \(featureCount) features, not one score per code")
            }
            evidence = layer
        } catch let error as TextModelError {
            throw error
        } catch {
            throw TextModelError("\(evidencePath.path) is not a usable evidence network: \(error)")
        }
        return CodeModel(preparation: preparation, codes: codes, network: network, evidence: evidence, lexicon: lexicon,
                         neighbours: CodeNeighbours(entries: entries, k: k), statistics: statistics, trainingNotes: Int(notes), unmatchedOffset: Float(unmatched),
                         threshold: threshold, metrics: file.metrics, settings: settings)
    }

    /// The row counts of every (bag) embedding of a network configuration.
    static func embeddingRows(_ config: LayerConfig) -> [Int] {
        switch config {
        case .bagEmbedding(let rows, _, _): return [rows]
        case .embedding(let rows, _, _): return [rows]
        case .sequential(let layers): return layers.flatMap(embeddingRows)
        case .graph(let nodes, _):
            return nodes.flatMap { node -> [Int] in
                if case .layer(let c) = node.op { return embeddingRows(c) }
                return []
            }
        default: return []
        }
    }
}
