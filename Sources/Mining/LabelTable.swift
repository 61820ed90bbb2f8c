import Corpus
import Foundation
import Inputs
import Statistics

/// The labels of one scheme and source as a table: one row per document, one column per label.
public struct LabelTable: Sendable {
    /// The column names (the scheme's labels).
    public let labels: [String]
    /// Document external id -> label -> value (absent = blank).
    public var rows: [(id: String, values: [String: LabelValue])]

    /// The texts of the documents with these external ids (for the CheXpert output format).
    public static func texts(corpus: Corpus, documentSource: String?) throws -> [String: String] {
        try corpus.read { try $0.documentTexts(source: documentSource) }
    }

    /// Reads the labels of `scheme` from `source` (of one human `reader`, when given) for every
    /// document that has at least one of them. Without a reader, where several readers labelled an
    /// observation the latest label counts.
    public static func load(corpus: Corpus, scheme: String, labels: [String], source: LabelSource,
                            documentSource: String? = nil, reader humanReader: String? = nil) throws -> LabelTable {
        var rows: [(String, [String: LabelValue])] = []
        var lastId: Int64 = -1
        try corpus.read { reader in
            try reader.forEachLabel(scheme: scheme, source: source, documentSource: documentSource,
                                    reader: humanReader) { id, externalId, observation, value in
                if id != lastId { rows.append((externalId, [:])); lastId = id }
                rows[rows.count - 1].1[observation] = value
            }
        }
        return LabelTable(labels: labels, rows: rows)
    }

    /// CheXpert-style CSV: the id, then 1, 0, -1 or empty per label.
    public func csv() -> String {
        var out = "id," + labels.map(LabelTable.quote).joined(separator: ",") + "\n"
        for row in rows {
            out += LabelTable.quote(row.id)
            for label in labels {
                out += ","
                if let v = row.values[label] { out += String(v.rawValue) }
            }
            out += "\n"
        }
        return out
    }

    /// The CheXpert labeler's output format: `Reports` (the report text), then 1.0, 0.0, -1.0 or empty.
    public func chexpertCSV(texts: [String: String]) -> String {
        var out = "Reports," + labels.map(LabelTable.quote).joined(separator: ",") + "\n"
        for row in rows {
            out += LabelTable.quote(texts[row.id] ?? row.id)
            for label in labels {
                out += ","
                if let v = row.values[label] { out += String(format: "%.1f", Double(v.rawValue)) }
            }
            out += "\n"
        }
        return out
    }

    /// One JSON object per line: {"id": ..., "labels": {label: value}}.
    public func jsonLines() throws -> String {
        struct Line: Encodable { let id: String; let labels: [String: Int] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = ""
        for row in rows {
            let line = Line(id: row.id, labels: row.values.mapValues(\.rawValue))
            out += String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }
        return out
    }

    /// One CSV cell: quoted when it holds a comma, quote or line break. A cell a spreadsheet would run
    /// as a formula (starting with =, +, -, @, tab or carriage return: an id such as
    /// `=HYPERLINK(...)`) is neutralised with a leading apostrophe, as OWASP advises.
    public static func quote(_ s: String) -> String {
        var s = s
        if let first = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { s = "'" + s }
        if s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }
}

/// Precision, recall and F1 of mined labels against a gold file, and agreement between sources.
public enum LabelEvaluation {
    /// The score of one label.
    public struct Score: Codable, Sendable {
        /// The label (or "micro").
        public var label: String
        /// Predicted positive, gold positive.
        public var truePositives = 0
        /// Predicted positive, gold negative.
        public var falsePositives = 0
        /// Predicted not positive, gold positive.
        public var falseNegatives = 0
        /// Positives in the gold file.
        public var goldPositives: Int { truePositives + falseNegatives }
        /// Precision, recall and F1 of the counts (Statistics, scikit-learn's `zero_division=0`).
        var prf: Metrics.PRF { Metrics.PRF(truePositives: truePositives, falsePositives: falsePositives, falseNegatives: falseNegatives) }
        /// TP / (TP + FP), 0 when nothing was predicted.
        public var precision: Double { prf.precision }
        /// TP / (TP + FN), 0 when the gold has no positive.
        public var recall: Double { prf.recall }
        /// The harmonic mean of precision and recall.
        public var f1: Double { prf.f1 }
        /// False when the gold has no positive: F1 is undefined and the label is left out of the macro average.
        public var defined: Bool { goldPositives > 0 }
    }

    /// Scores per label with micro and macro averages.
    public struct Report: Codable, Sendable {
        /// One score per gold label, in the gold file's column order.
        public var scores: [Score]
        /// Gold reports found in the corpus (scored).
        public var reports: Int
        /// Gold reports not in the corpus (not scored).
        public var missing: Int
        /// Counts pooled over all labels.
        public var micro: Score
        /// The mean F1 of the labels with a gold positive.
        public var macroF1: Double
        /// How many labels the macro average covers.
        public var macroLabels: Int
    }

    /// A gold standard in the format of `openi_labels_dev.csv`: an id column, then one 0/1 column per label.
    public struct Gold: Sendable {
        /// The label columns.
        public var labels: [String]
        /// Report id -> label -> present.
        public var rows: [String: [String: Bool]]
    }

    /// Reads a gold file; every column after the first must be a label of the scheme.
    public static func readGold(_ path: String, schemeLabels: [String]) throws -> Gold {
        let table = try CSVTable.read(path: path)
        guard table.header.count >= 2 else {
            throw RuleError(file: path, line: 1, "expected a header: id, then one column per label")
        }
        let labels = Array(table.header.dropFirst())
        for label in labels where !schemeLabels.contains(label) {
            throw RuleError(file: path, line: 1, "column `\(label)` is not a label of the scheme (labels: \(schemeLabels.joined(separator: ", ")))")
        }
        var rows: [String: [String: Bool]] = [:]
        for (index, (fields, line)) in zip(table.rows, table.lines).enumerated() {
            if let problem = table.problem(ofRow: index) { throw problem }
            var values: [String: Bool] = [:]
            for (k, label) in labels.enumerated() {
                let cell = fields[k + 1].trimmingSpaces()
                guard let v = Double(cell.isEmpty ? "0" : cell) else {
                    throw RuleError(file: path, line: line, "`\(cell)` in column \(label) is not a number")
                }
                values[label] = v == 1
            }
            rows[fields[0]] = values
        }
        return Gold(labels: labels, rows: rows)
    }

    /// Scores `table` against `gold`; uncertain predictions count as positive when `uncertainIsPositive`.
    public static func evaluate(_ table: LabelTable, gold: Gold, uncertainIsPositive: Bool) -> Report {
        var predicted: [String: [String: LabelValue]] = [:]
        for row in table.rows { predicted[row.id] = row.values }
        var scores = gold.labels.map { Score(label: $0) }
        var reports = 0, missing = 0
        for (id, truth) in gold.rows {
            guard let values = predicted[id] else { missing += 1; continue }
            reports += 1
            for (k, label) in gold.labels.enumerated() {
                let v = values[label]
                let p = v == .positive || (v == .uncertain && uncertainIsPositive)
                let g = truth[label] ?? false
                if p && g { scores[k].truePositives += 1 } else if p { scores[k].falsePositives += 1 } else if g { scores[k].falseNegatives += 1 }
            }
        }
        var micro = Score(label: "micro")
        for s in scores {
            micro.truePositives += s.truePositives
            micro.falsePositives += s.falsePositives
            micro.falseNegatives += s.falseNegatives
        }
        let defined = scores.filter(\.defined)
        let macro = defined.isEmpty ? 0 : defined.map(\.f1).reduce(0, +) / Double(defined.count)
        return Report(scores: scores, reports: reports, missing: missing, micro: micro,
                      macroF1: macro, macroLabels: defined.count)
    }

    /// Cohen's kappa of one label between two readers.
    public struct Agreement: Codable, Sendable {
        /// The label.
        public var label: String
        /// Counts of the 2x2 table: positive for both, only one reader, neither.
        public var both = 0, onlyFirst = 0, onlySecond = 0, neither = 0
        /// Documents compared.
        public var n: Int { both + onlyFirst + onlySecond + neither }
        /// Observed agreement.
        public var observed: Double {
            Metrics.observedAgreement(both: both, onlyFirst: onlyFirst, onlySecond: onlySecond, neither: neither)
        }
        /// Cohen's kappa: (observed - expected) / (1 - expected).
        public var kappa: Double { Metrics.cohenKappa(both: both, onlyFirst: onlyFirst, onlySecond: onlySecond, neither: neither) }
    }

    /// Kappa per label over the documents both sources labelled (positive vs not).
    public static func agreement(_ a: LabelTable, _ b: LabelTable, uncertainIsPositive: Bool) -> [Agreement] {
        var second: [String: [String: LabelValue]] = [:]
        for row in b.rows { second[row.id] = row.values }
        var result = a.labels.map { Agreement(label: $0) }
        for row in a.rows {
            guard let other = second[row.id] else { continue }
            for (k, label) in a.labels.enumerated() {
                func positive(_ v: LabelValue?) -> Bool { v == .positive || (v == .uncertain && uncertainIsPositive) }
                switch (positive(row.values[label]), positive(other[label])) {
                case (true, true): result[k].both += 1
                case (true, false): result[k].onlyFirst += 1
                case (false, true): result[k].onlySecond += 1
                case (false, false): result[k].neither += 1
                }
            }
        }
        return result
    }
}
