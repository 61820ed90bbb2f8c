import Corpus
import Foundation
import Mining

/// The output formats of `labels export`.
public enum LabelExportFormat: String, Codable, Sendable, CaseIterable {
    /// CheXpert-style CSV: the report id, then 1, 0, -1 or empty per label.
    case csv
    /// One JSON object per line: {"id": ..., "labels": {label: value}}.
    case jsonl
    /// The CheXpert labeler's own output: the report text, then 1.0 / 0.0 / -1.0 / empty.
    case chexpert
}

/// Options of `labels export`.
public struct LabelExportOptions: Codable, Sendable {
    public var rules = RulesOptions()
    /// Which reader's labels.
    public var source: LabelSource = .rules
    public var format: LabelExportFormat = .csv
    /// Only the documents of this source (archive or file name).
    public var documentSource: String?
    /// With source human: only this reader's labels (nil: every reader's, the latest label of an
    /// observation counting).
    public var reader: String?
    /// The defaults: rule labels of chestxray14 as CSV.
    public init() {}
}

/// What `labels export` wrote.
public struct LabelExport: Sendable {
    /// Documents exported.
    public var documents: Int
    /// The exported table in the chosen format.
    public var output: String
}

/// Options of `labels evaluate`.
public struct LabelEvaluationOptions: Codable, Sendable {
    public var rules = RulesOptions()
    /// The gold CSV: the report id, then one 0/1 column per label.
    public var gold: String
    /// How uncertain predictions count.
    public var uncertain: UncertainCounting = .positive
    /// Which reader's labels to score.
    public var source: LabelSource = .rules
    /// Options scoring rule labels against `gold`.
    public init(gold: String) { self.gold = gold }
}

/// `labels evaluate`'s report with what its text names.
public struct LabelEvaluationResult: Encodable, Sendable {
    public var report: LabelEvaluation.Report
    public var uncertain: UncertainCounting
    /// Encodes as the report alone.
    public func encode(to encoder: Encoder) throws { try report.encode(to: encoder) }
}

/// Options of `labels agreement`.
public struct LabelAgreementOptions: Codable, Sendable {
    public var rules = RulesOptions()
    /// The two label sources compared.
    public var sources: [LabelSource] = [.rules, .mesh]
    public var uncertain: UncertainCounting = .positive
    /// Rules against MeSH.
    public init() {}
}

/// Cohen's kappa per label between two sources.
public struct LabelAgreementResult: Encodable, Sendable {
    public var sources: [LabelSource]
    /// Documents labelled by both.
    public var documents: Int
    public var labels: [LabelEvaluation.Agreement]
    /// Encodes as the per-label array.
    public func encode(to encoder: Encoder) throws { try labels.encode(to: encoder) }
}

/// Options of `labels negex`.
public struct NegExOptions: Codable, Sendable {
    public var rules = RulesOptions()
    /// The tab-separated annotations (sentence, concept, Affirmed/Negated).
    public var file: String
    /// Options scoring `file`.
    public init(file: String) { self.file = file }
}

extension Workspace {
    /// The labels of a scheme from one source, as a table in `options.format`.
    public func exportLabels(_ options: LabelExportOptions, context: JobContext = .silent) throws -> LabelExport {
        if options.rules.scheme == MiningScheme.conditionsName { return try exportConditions(options, context: context) }
        let rules = try options.rules.load()
        let store = try corpus()
        do {
            let table = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels,
                                            source: options.source, documentSource: options.documentSource, reader: options.reader)
            if table.rows.isEmpty {
                context.warn("no labels of scheme \(rules.scheme) from source \(options.source.rawValue) in \(store.path); run `triage mine` first")
            }
            let output: String
            switch options.format {
            case .jsonl: output = try table.jsonLines()
            case .chexpert: output = table.chexpertCSV(texts: try LabelTable.texts(corpus: store, documentSource: options.documentSource))
            case .csv: output = table.csv()
            }
            return LabelExport(documents: table.rows.count, output: output)
        } catch {
            throw TriageError(error)
        }
    }

    /// The conditions scheme, one row per document and code (codes are open-ended, so no wide table):
    /// CSV `source,id,code,value,negated,uncertain,historical,hypothetical,experiencer,evidence`, or
    /// one JSON object per label with the evidence's UTF-8 byte offsets.
    func exportConditions(_ options: LabelExportOptions, context: JobContext) throws -> LabelExport {
        guard options.source == .rules else {
            throw TriageError(.unusable, "the conditions scheme has rule labels only (mined by `triage mine --scheme conditions`)")
        }
        guard options.format != .chexpert else { throw TriageError(.unusable, "the chexpert format holds the 14 CheXpert labels, not conditions") }
        let store = try corpus()
        var out = options.format == .csv ? "source,id,code,value,negated,uncertain,historical,hypothetical,experiencer,evidence\n" : ""
        var documents = Set<String>()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        struct Line: Encodable {
            var source: String, id: String, code: String, value: Int, evidence: String?, evidenceStart: Int?, evidenceEnd: Int?
            var attributes: MentionAttributes?
        }
        do {
            try store.read { reader in
                try reader.forEachCondition(scheme: MiningScheme.conditionsName, documentSource: options.documentSource) { row in
                    documents.insert(row.documentSource + "\u{0}" + row.externalId)
                    let attributes = row.attributes.flatMap { try? JSONDecoder().decode(MentionAttributes.self, from: Data($0.utf8)) }
                    switch options.format {
                    case .jsonl:
                        let line = Line(source: row.documentSource, id: row.externalId, code: row.code, value: row.value.rawValue,
                                        evidence: row.evidence, evidenceStart: row.evidenceStart, evidenceEnd: row.evidenceEnd, attributes: attributes)
                        out += String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
                    default:
                        let a = attributes ?? MentionAttributes()
                        let fields = [row.documentSource, row.externalId, row.code, String(row.value.rawValue), String(a.negated),
                                      String(a.uncertain), String(a.historical), String(a.hypothetical), a.experiencer.rawValue,
                                      row.evidence ?? ""]
                        // The value is a number (-1 must not be taken for a formula); the text cells are quoted.
                        out += fields.enumerated().map { $0.offset == 3 ? $0.element : LabelTable.quote($0.element) }
                            .joined(separator: ",") + "\n"
                    }
                }
            }
        } catch { throw TriageError(error) }
        if documents.isEmpty { context.warn("no conditions in \(store.path); run `triage mine NOTES --scheme conditions` first") }
        return LabelExport(documents: documents.count, output: out)
    }

    /// Per-label precision, recall and F1 of mined labels against a gold file, micro and macro.
    public func evaluateLabels(_ options: LabelEvaluationOptions, context: JobContext = .silent) throws -> LabelEvaluationResult {
        let rules = try options.rules.load()
        let store = try corpus()
        let gold: LabelEvaluation.Gold
        do { gold = try LabelEvaluation.readGold(options.gold, schemeLabels: rules.labels) } catch let error as RuleError {
            throw TriageError(error)
        } catch {
            throw TriageError(.unusable, "\(error)", file: options.gold)
        }
        let table: LabelTable
        do { table = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: options.source) } catch {
            throw TriageError(error)
        }
        let report = LabelEvaluation.evaluate(table, gold: gold, uncertainIsPositive: options.uncertain == .positive)
        if report.reports == 0 {
            throw TriageError(.failed, "none of the \(gold.rows.count) gold reports is in the corpus with \(options.source.rawValue) labels of \(rules.scheme); mine them first")
        }
        if report.missing > 0 { context.warn("\(report.missing) gold reports are not in the corpus; scored the other \(report.reports)") }
        return LabelEvaluationResult(report: report, uncertain: options.uncertain)
    }

    /// Cohen's kappa per label between two label sources over the documents both labelled.
    public func labelAgreement(_ options: LabelAgreementOptions) throws -> LabelAgreementResult {
        guard options.sources.count == 2 else { throw TriageError(.unusable, "agreement compares exactly two label sources, e.g. rules,mesh") }
        let rules = try options.rules.load()
        let store = try corpus()
        let a: LabelTable, b: LabelTable
        do {
            a = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: options.sources[0])
            b = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: options.sources[1])
        } catch {
            throw TriageError(error)
        }
        let result = LabelEvaluation.agreement(a, b, uncertainIsPositive: options.uncertain == .positive)
        guard let n = result.first?.n, n > 0 else {
            throw TriageError(.failed, "no document has \(rules.scheme) labels from both \(options.sources[0].rawValue) and \(options.sources[1].rawValue)")
        }
        return LabelAgreementResult(sources: options.sources, documents: n, labels: result)
    }

    /// Accuracy of the scheme's negation rules on NegEx annotations.
    public func scoreNegEx(_ options: NegExOptions) throws -> NegExEvaluation.Result {
        let rules = try options.rules.load()
        do { return try NegExEvaluation.score(path: options.file, labeler: Labeler(rules: rules, sections: [])) } catch {
            throw TriageError(error)
        }
    }
}

extension LabelEvaluationResult: TextReport {
    /// The per-label table, then micro and macro F1.
    public var text: String {
        let labels = report.scores.map(\.label)
        let width = max(12, labels.map(\.count).max() ?? 0)
        var out = "label".padded(width) + "  gold+  precision  recall     F1\n"
        for s in report.scores + [report.micro] {
            let f1 = s.defined ? String(format: "%.3f", s.f1) : "  n/a"
            out += s.label.padded(width) + String(format: "  %5d  %9.3f  %6.3f  ", s.goldPositives, s.precision, s.recall) + f1 + "\n"
        }
        out += String(format: "micro-F1 %.4f  macro-F1 %.4f (over %d labels)  reports %d  uncertain=%@\n",
                      report.micro.f1, report.macroF1, report.macroLabels, report.reports, uncertain.rawValue)
        return out
    }
}

extension LabelAgreementResult: TextReport {
    /// The 2x2 counts, observed agreement and kappa per label, then the mean kappa.
    public var text: String {
        let width = max(12, labels.map(\.label.count).max() ?? 0)
        let (first, second) = (sources[0].rawValue, sources[1].rawValue)
        var out = "label".padded(width) + "  both  only-\(first)  only-\(second)  agree   kappa\n"
        for r in labels {
            out += r.label.padded(width) + String(format: "  %4d  %10d  %9d  %5.3f  %6.3f\n", r.both, r.onlyFirst, r.onlySecond, r.observed, r.kappa)
        }
        let defined = labels.filter { $0.both + $0.onlyFirst + $0.onlySecond > 0 }
        let mean = defined.isEmpty ? 0 : defined.map(\.kappa).reduce(0, +) / Double(defined.count)
        out += String(format: "%d documents labelled by both; mean kappa %.3f over %d labels with a positive\n", documents, mean, defined.count)
        return out
    }
}

extension NegExEvaluation.Result: TextReport {
    /// Accuracy and the 2x2 counts.
    public var text: String {
        String(format: "NegEx annotations: accuracy %.4f on %d sentences (%d concepts not found in their sentence)\n",
               accuracy, sentences, unmatched)
            + "gold negated: \(negatedAsNegated) negated, \(negatedAsAffirmed) affirmed; gold affirmed: \(affirmedAsAffirmed) affirmed, \(affirmedAsNegated) negated\n"
    }
}
