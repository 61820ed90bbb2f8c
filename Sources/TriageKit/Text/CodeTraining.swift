import Corpus
import Foundation
import Inputs
import Mining
import Models
import Neural
import Statistics

/// Options of `train codes`.
public struct TrainCodesOptions: Codable, Sendable {
    /// The CSV of notes and their codes.
    public var file: String
    public var textColumn: String
    /// The column of `;`-separated codes (`,` and `|` also separate).
    public var codesColumn: String
    /// The column that splits notes into train / dev (used when present; nil: `split` if the file has it).
    public var splitColumn: String?
    /// The model folder to write.
    public var output: String
    /// The ICD-10-CM tabular XML (nil: the corpus's codes, else the file `tools/fetch-data` fetched, else `../shared/data`).
    public var icd10: String?
    /// The lexicon rules file (nil: `corpora/codes/lexicon.txt`).
    public var lexiconRules: String?
    /// Share of notes held out for validation when the file has no split column (and, with
    /// `folds`, of each fold's training part).
    public var validation = 0.2
    /// Instead of training a model: K-fold cross-validation over every labelled note (train and
    /// dev alike), each fold's model choosing on a `validation` share of its training part.
    public var folds: Int?
    public var settings = CodeTrainer.Settings()

    /// Options reading `file` into `output` with the defaults.
    public init(file: String, textColumn: String, codesColumn: String, output: String) {
        self.file = file
        self.textColumn = textColumn
        self.codesColumn = codesColumn
        self.output = output
    }
}

/// What `train codes` produced.
public struct TrainCodesResult: Codable, Sendable, TextReport {
    /// The model folder, as an absolute path.
    public var model: String
    public var trainingNotes: Int
    public var validationNotes: Int
    /// Where the lexicon came from ("none" when training without one).
    public var lexicon: String
    /// Codes not in the ICD-10-CM tabular list (or malformed), and how often each appeared.
    public var invalidCodes: [String: Int]
    public var metrics: [String: Double]
    /// With `folds`: each fold's metrics on its scored notes (`map`, `microF1`, ...); the means are in `metrics` (`cvMap`, ...).
    public var folds: [[String: Double]]?
    public var seconds: Double

    /// Validation MAP / micro-F1 of the model and of the dictionary alone, and where the model went.
    public var text: String {
        if let folds {
            var out = ""
            for (i, f) in folds.enumerated() {
                out += String(format: "fold %d: MAP %.4f, micro-F1 %.4f (P %.4f, R %.4f) at threshold %.3f\n", i + 1, f["map"] ?? 0,
                              f["microF1"] ?? 0, f["microPrecision"] ?? 0, f["microRecall"] ?? 0, f["threshold"] ?? 0)
            }
            return out + String(format: "%d-fold cross-validation over %d notes: MAP %.4f (sd %.4f), micro-F1 %.4f; %.1f s\n", folds.count,
                                trainingNotes + validationNotes, metrics["cvMap"] ?? 0, metrics["cvMapSD"] ?? 0, metrics["cvMicroF1"] ?? 0, seconds)
        }
        var out = String(format: "saved %@: validation MAP %.4f, micro-F1 %.4f (P %.4f, R %.4f) at threshold %.3f on %d notes",
                         model, metrics["validationMap"] ?? 0, metrics["validationMicroF1"] ?? 0,
                         metrics["validationMicroPrecision"] ?? 0, metrics["validationMicroRecall"] ?? 0,
                         metrics["threshold"] ?? 0, validationNotes)
        if let map = metrics["dictionaryMap"] {
            out += String(format: "; the dictionary alone: MAP %.4f, micro-F1 %.4f", map, metrics["dictionaryMicroF1"] ?? 0)
        }
        return out + String(format: "; %.1f s\n", seconds)
    }
}

extension Workspace {
    /// Trains a code model on a CSV of notes and codes (train / dev by its split column, else a
    /// seeded split), with the ICD-10-CM lexicon when one is found; writes the model folder.
    public func trainCodes(_ options: TrainCodesOptions, context: JobContext = .silent) throws -> TrainCodesResult {
        let started = Date()
        guard !options.output.isEmpty || options.folds != nil else { throw TriageError(.unusable, "--output must name a folder, e.g. models/codes") }
        if let folds = options.folds, !(2...20).contains(folds) { throw TriageError(.unusable, "the number of folds must be 2 to 20, e.g. 5") }
        guard options.validation > 0 && options.validation < 1 else { throw TriageError(.unusable, "the validation share must be between 0 and 1, e.g. 0.2") }
        let (lexicon, lexiconSource) = try codeLexicon(icd10: options.icd10, rulesFile: options.lexiconRules, context: context)
        let name = InputFile.displayName(options.file)
        let table: CSVTable
        do { table = try CSVTable.parse(try InputFile.read(options.file), path: name) } catch { throw TriageError(error) }
        let textIndex: Int, codesIndex: Int, splitIndex: Int?
        do {
            textIndex = try table.column(named: options.textColumn, option: "--text-column")
            codesIndex = try table.column(named: options.codesColumn, option: "--codes-column")
            splitIndex = try options.splitColumn.map { try table.column(named: $0, option: "--split-column") }
                ?? table.header.firstIndex(of: "split")
        } catch { throw TriageError(error) }

        var train: [CodedNote] = [], validation: [CodedNote] = [], unsplit: [CodedNote] = []
        var invalid: [String: Int] = [:], skipped = 0, ignoredSplits: [String: Int] = [:]
        for (n, (fields, line)) in zip(table.rows, table.lines).enumerated() {
            if let problem = table.problem(ofRow: n) { context.warn("\(problem); row skipped"); skipped += 1; continue }
            let text = fields[textIndex]
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                context.warn("\(name):\(line): the text is empty; row skipped"); skipped += 1; continue
            }
            var codes: [String] = []
            for raw in fields[codesIndex].split(whereSeparator: { $0 == ";" || $0 == "," || $0 == "|" }) {
                let trimmed = raw.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { continue }
                let code = ICD10.normalize(trimmed)
                // Codes the tabular list lacks are counted and kept (notes are coded with them); malformed ones are dropped.
                if !ICD10.isWellFormed(code) { invalid[trimmed, default: 0] += 1; continue }
                if let lexicon, lexicon.source(of: code) == nil { invalid[code, default: 0] += 1 }
                if !codes.contains(code) { codes.append(code) }
            }
            let note = CodedNote(id: "\(n + 1)", text: text, codes: codes)
            if let splitIndex {
                switch fields[splitIndex].trimmingCharacters(in: .whitespaces).lowercased() {
                case "train", "training": train.append(note)
                case "dev", "validation", "valid", "val": validation.append(note)
                case let other: ignoredSplits[other, default: 0] += 1
                }
            } else {
                unsplit.append(note)
            }
        }
        for (split, count) in ignoredSplits.sorted(by: { $0.key < $1.key }) {
            context.note("\(count) notes of split '\(split)' left out (only train and dev/validation are read)")
        }
        if splitIndex == nil {
            var order = Array(unsplit.indices)
            var rng = SplitMix64(seed: options.settings.seed)
            rng.shuffle(&order)
            let held = max(1, Int((Double(unsplit.count) * options.validation).rounded()))
            for (i, index) in order.enumerated() { if i < held { validation.append(unsplit[index]) } else { train.append(unsplit[index]) } }
            context.note("no split column: \(validation.count) of \(unsplit.count) notes held out for validation (seed \(options.settings.seed))")
        }
        guard train.count >= 2, !validation.isEmpty else {
            throw TriageError(.unusable, "need at least 2 training notes and 1 validation note; found \(train.count) and \(validation.count)", file: name)
        }
        if !invalid.isEmpty {
            let total = invalid.values.reduce(0, +)
            let listed = invalid.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(20).map { "\($0.key) (\($0.value))" }
            context.warn("\(total) codes in \(invalid.count) kinds are not in the ICD-10-CM tabular list: \(listed.joined(separator: ", "))"
                         + (invalid.count > 20 ? ", ..." : ""))
        }
        if let folds = options.folds {
            let all = train + validation
            context.note("\(folds)-fold cross-validation over \(all.count) notes; lexicon: \(lexiconSource)")
            let results: [[String: Double]]
            do {
                results = try CodeTrainer(settings: options.settings).crossValidate(all, folds: folds, validation: options.validation,
                                                                                     lexicon: lexicon, stop: context.stop) { fold, report in
                    if report.stage == "text" {
                        context.note(String(format: "fold %d, text network epoch %d: validation MAP %.4f%@", fold, report.epoch.epoch,
                                            report.epoch.metrics["map"] ?? 0, report.epoch.isBest ? "  *" : ""))
                    }
                }
            } catch { throw TriageError(error) }
            var metrics: [String: Double] = [:]
            for key in ["map", "microF1", "microPrecision", "microRecall"] {
                let values = results.compactMap { $0[key] }
                let mean = values.reduce(0, +) / Double(max(1, values.count))
                metrics["cv" + key.prefix(1).uppercased() + key.dropFirst()] = mean
                if key == "map" {
                    metrics["cvMapSD"] = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, values.count - 1))).squareRoot()
                }
            }
            return TrainCodesResult(model: "", trainingNotes: train.count, validationNotes: validation.count, lexicon: lexiconSource,
                                    invalidCodes: invalid, metrics: metrics, folds: results, seconds: Date().timeIntervalSince(started))
        }
        context.note("training on \(train.count) notes, choosing on \(validation.count); lexicon: \(lexiconSource)")

        let meter = ProgressMeter(context, stage: "text network", unit: "notes", interval: 0)
        var model: CodeModel
        do {
            model = try CodeTrainer(settings: options.settings).train(train, validation: validation, lexicon: lexicon, stop: context.stop) { report in
                let e = report.epoch
                if report.stage == "refit" {
                    context.note(String(format: "refit on every labelled note: epoch %d/%d, loss %.5f", e.epoch, report.epochs, e.trainLoss))
                } else if report.stage == "text" {
                    meter.update(done: e.epoch * train.count, total: report.epochs * train.count)
                    context.note(String(format: "text network epoch %d/%d: loss %.5f, validation MAP %.4f, %.0f notes/s%@",
                                        e.epoch, report.epochs, e.trainLoss, e.metrics["map"] ?? 0, e.samplesPerSecond, e.isBest ? "  *" : ""))
                }
            }
            try model.save(to: options.output)
        } catch {
            throw TriageError(error)
        }
        let m = model.metrics
        context.note(String(format: "chosen: epoch %d, threshold %.3f; validation MAP %.4f, micro-F1 %.4f; dictionary alone MAP %.4f, micro-F1 %.4f",
                            Int(m["bestEpoch"] ?? 0), m["threshold"] ?? 0, m["validationMap"] ?? 0, m["validationMicroF1"] ?? 0,
                            m["dictionaryMap"] ?? 0, m["dictionaryMicroF1"] ?? 0))
        return TrainCodesResult(model: URL(fileURLWithPath: options.output).standardizedFileURL.path,
                                trainingNotes: train.count, validationNotes: validation.count, lexicon: lexiconSource,
                                invalidCodes: invalid, metrics: m, folds: nil, seconds: Date().timeIntervalSince(started))
    }

    /// The condition lexicon: from `icd10` if given, else the corpus's codes (`codes import`), else the
    /// tabular file `tools/fetch-data` fetches (`data/`), else `../shared/data/codes/`; nil (and a
    /// warning) when none is found.
    func codeLexicon(icd10: String?, rulesFile: String?, context: JobContext) throws -> (ConditionLexicon?, String) {
        let rules: LexiconRules
        let rulesPath = rulesFile ?? LexiconRules.defaultFile()
        do { rules = try rulesPath.map { try LexiconRules.load($0) } ?? LexiconRules() } catch { throw TriageError(error) }
        if rulesPath == nil { context.warn("corpora/codes/lexicon.txt not found: titles only, no abbreviations or qualifier rules") }
        var sources: [ConditionLexicon.Source]?, origin = ""
        if let icd10 {
            do { sources = ConditionLexicon.sources(from: try ICD10.parse(path: icd10)) } catch { throw TriageError(error) }
            origin = icd10
        } else if hasCorpus, let store = try? corpus(), let stored = try? store.read({ try $0.codes(system: ICD10.system) }), !stored.isEmpty {
            let codes = stored.filter { $0.kind == .code }
            let parents = Set(codes.compactMap(\.parent))
            sources = codes.map { ConditionLexicon.Source(code: $0.code, title: $0.title,
                                                           inclusionTerms: $0.inclusionTerms?.split(separator: "\n").map(String.init) ?? [],
                                                           billable: !parents.contains($0.code)) }
            origin = "the codes of \(corpusPath)"
        } else if let file = Workspace.tabularFile() {
            do { sources = ConditionLexicon.sources(from: try ICD10.parse(path: file)) } catch { throw TriageError(error) }
            origin = file
        }
        guard let sources else {
            context.warn("no ICD-10-CM tabular list found (run `triage codes import FILE`, tools/fetch-data, or pass --icd10 FILE): "
                         + "training without lexicon evidence, so codes never seen in training cannot be suggested")
            return (nil, "none")
        }
        do {
            let lexicon = try ConditionLexicon.build(from: sources, rules: rules)
            return (lexicon, "\(origin) (\(sources.count) codes, \(lexicon.termCount) terms)")
        } catch { throw TriageError(error) }
    }

    /// `data/icd10cm_tabular_2026.xml` (where `tools/fetch-data` puts it) or
    /// `../shared/data/codes/icd10cm_tabular_2026.xml.gz`, from the repository or the working directory.
    static func tabularFile() -> String? {
        var roots = [FileManager.default.currentDirectoryPath]
        if let rules = RuleSet.rulesFolder(nil) {
            roots.append(((rules as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent)
        }
        for root in roots {
            for relative in ["data/icd10cm_tabular_2026.xml", "data/icd10cm_tabular_2026.xml.gz",
                             "../shared/data/codes/icd10cm_tabular_2026.xml.gz", "../shared/data/codes/icd10cm_tabular_2026.xml"] {
                let path = (root as NSString).appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: path) { return (path as NSString).standardizingPath }
            }
        }
        return nil
    }
}
