import Foundation
import Inputs
import Mining

/// Options of `context` and `evaluate context`: a table of conditions in their sentences.
public struct ContextOptions: Codable, Sendable {
    /// The tab-separated file: `id`, `concept`, `sentence`, and optionally the gold columns
    /// `negation`, `temporality`, `experiencer` (`-` = standard input).
    public var file: String
    /// The rules folder (nil: `$TRIAGE_RULES`, else `corpora/rules` found from the working directory).
    public var rulesFolder: String?
    /// Options reading `file`.
    public init(file: String, rulesFolder: String? = nil) {
        self.file = file
        self.rulesFolder = rulesFolder
    }
}

/// The ConText attributes of one row, in the annotation file's words.
public struct ContextRow: Codable, Sendable, Equatable {
    /// The row's `id`.
    public var id: String
    /// `Affirmed` or `Negated`.
    public var negation: String
    /// `Recent`, `Historical` or `Not particular`.
    public var temporality: String
    /// `Patient`, `Family member` or `Other`.
    public var experiencer: String

    /// The row of `attributes`, in the annotation file's words.
    public init(id: String, _ attributes: MentionAttributes) {
        self.id = id
        negation = attributes.negated ? "Negated" : "Affirmed"
        switch attributes.temporality {
        case .recent: temporality = "Recent"
        case .historical: temporality = "Historical"
        case .hypothetical: temporality = "Not particular"
        }
        switch attributes.experiencer {
        case .patient: experiencer = "Patient"
        case .family: experiencer = "Family member"
        case .other: experiencer = "Other"
        }
    }

    /// One line of the readable table.
    public var text: String { id.padded(8) + " " + negation.padded(9) + " " + temporality.padded(15) + " " + experiencer + "\n" }
    /// The readable table's header.
    public static let header = "id".padded(8) + " " + "negation".padded(9) + " " + "temporality".padded(15) + " experiencer\n"
}

/// Accuracy and confusion of one attribute against the gold column.
public struct ContextAttributeScore: Codable, Sendable {
    /// `negation`, `temporality` or `experiencer`.
    public var attribute: String
    /// The values, in the order of the confusion matrix's rows (gold) and columns (predicted).
    public var values: [String]
    /// Rows with a gold value of this attribute.
    public var rows: Int
    /// Rows predicted as the gold says.
    public var correct: Int
    /// `confusion[gold][predicted]`.
    public var confusion: [[Int]]
    /// correct / rows.
    public var accuracy: Double { rows == 0 ? 0 : Double(correct) / Double(rows) }

    enum CodingKeys: String, CodingKey { case attribute, values, rows, correct, confusion, accuracy }
    /// Encodes the fields and the accuracy.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attribute, forKey: .attribute)
        try c.encode(values, forKey: .values)
        try c.encode(rows, forKey: .rows)
        try c.encode(correct, forKey: .correct)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(accuracy, forKey: .accuracy)
    }
    /// Decodes the fields (the accuracy is computed).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attribute = try c.decode(String.self, forKey: .attribute)
        values = try c.decode([String].self, forKey: .values)
        rows = try c.decode(Int.self, forKey: .rows)
        correct = try c.decode(Int.self, forKey: .correct)
        confusion = try c.decode([[Int]].self, forKey: .confusion)
    }
    init(attribute: String, values: [String]) {
        self.attribute = attribute
        self.values = values
        rows = 0
        correct = 0
        confusion = Array(repeating: Array(repeating: 0, count: values.count), count: values.count)
    }

    /// Counts one row; false when `gold` is not one of `values`.
    mutating func add(gold: String, predicted: String) -> Bool {
        guard let g = values.firstIndex(of: gold), let p = values.firstIndex(of: predicted) else { return false }
        rows += 1
        if g == p { correct += 1 }
        confusion[g][p] += 1
        return true
    }
}

/// What `context` read: rows judged and skipped, and the scores when the file has gold columns.
public struct ContextSummary: Codable, Sendable {
    /// Rows judged.
    public var rows = 0
    /// Rows skipped (each named by a `file:line` warning).
    public var skipped = 0
    /// Rows whose concept was not found in its sentence (judged on the sentence's upper-case words,
    /// else on the whole sentence).
    public var conceptsNotFound = 0
    /// Per attribute, when the file has its gold column.
    public var scores: [ContextAttributeScore] = []
    /// The rule set's version.
    public var rules = ""
}

extension ContextSummary: TextReport {
    /// Accuracy per attribute and the confusion tables.
    public var text: String {
        var out = "\(rows) rows judged with \(rules)"
            + (skipped > 0 ? ", \(skipped) skipped" : "") + (conceptsNotFound > 0 ? ", \(conceptsNotFound) concepts not found in their sentence" : "") + "\n"
        if scores.isEmpty { out += "no gold columns (negation, temporality, experiencer): nothing to score\n" }
        for s in scores {
            out += String(format: "\n%@: accuracy %.4f (%d of %d)\n", s.attribute, s.accuracy, s.correct, s.rows)
            let width = max(15, (s.values.map(\.count).max() ?? 0) + 2)
            out += "gold \\ predicted".padded(width + 2) + s.values.map { $0.padded(width) }.joined() + "\n"
            for (g, row) in s.confusion.enumerated() {
                out += ("  " + s.values[g]).padded(width + 2) + row.map { String($0).padded(width) }.joined() + "\n"
            }
        }
        return out
    }

    /// One line for stderr: the accuracies.
    public var oneLine: String {
        "\(rows) rows" + (skipped > 0 ? ", \(skipped) skipped" : "")
            + scores.map { String(format: "; %@ accuracy %.4f", $0.attribute, $0.accuracy) }.joined()
    }
}

extension Workspace {
    /// The notes' context rules (`notes-context.txt` of the rules folder), validated.
    public func contextRules(folder: String? = nil) throws -> ContextRuleSet {
        guard let found = RuleSet.rulesFolder(folder) else {
            throw TriageError(.unusable, "cannot find the rules folder corpora/rules; pass --rules DIR or set TRIAGE_RULES")
        }
        do { return try ContextRuleSet.load(rulesFolder: found) } catch { throw TriageError(error) }
    }

    /// Judges negation, temporality and experiencer of every row of a TSV of conditions in their
    /// sentences; `row` receives each result in file order. Rows that cannot be read are skipped,
    /// warned about with `file:line` and counted; the gold columns, when present, are scored.
    public func annotateContext(_ options: ContextOptions, context: JobContext = .silent,
                                row: (ContextRow) throws -> Void) throws -> ContextSummary {
        try annotateContext(options, rules: try contextRules(folder: options.rulesFolder), context: context, row: row)
    }

    /// `annotateContext` with rules already loaded (`contextRules`), for a caller that annotates many
    /// files with the same rules; `options.rulesFolder` is not read.
    public func annotateContext(_ options: ContextOptions, rules: ContextRuleSet, context: JobContext = .silent,
                                row: (ContextRow) throws -> Void) throws -> ContextSummary {
        let annotator = ContextAnnotator(rules: rules)
        let name = InputFile.displayName(options.file)
        let data: Data
        do { data = try InputFile.read(options.file) } catch { throw TriageError(error) }
        var summary = ContextSummary()
        summary.rules = rules.version
        var header: CSVHeader?
        var columns: [Int] = []
        var gold: [(column: Int, score: ContextAttributeScore)] = []
        let reader = CSVReader(origin: name, delimiter: .tab)
        func skip(_ error: InputError) {
            summary.skipped += 1
            context.warn("\(error); row skipped")
        }
        do {
            try reader.forEachRecord(in: data) { record in
                guard let h = header else {
                    let h = CSVHeader(names: record.fields, file: name, line: record.line)
                    columns = try ["id", "concept", "sentence"].map { try h.index(of: $0) }
                    let attributes = [("negation", ["Affirmed", "Negated"]),
                                      ("temporality", ["Recent", "Historical", "Not particular"]),
                                      ("experiencer", ["Patient", "Family member", "Other"])]
                    for (attribute, values) in attributes {
                        if let index = try? h.index(of: attribute) {
                            gold.append((index, ContextAttributeScore(attribute: attribute, values: values)))
                        }
                    }
                    header = h
                    return
                }
                guard record.fields.count == h.names.count else { return skip(h.fieldCountError(record.fields.count, line: record.line)) }
                guard !record.hasInvalidUTF8 else {
                    return skip(InputError(file: name, line: record.line, "not UTF-8 text, or holds a NUL byte"))
                }
                let id = record.fields[columns[0]], concept = record.fields[columns[1]], sentence = record.fields[columns[2]]
                guard !sentence.trimmingCharacters(in: .whitespaces).isEmpty else {
                    return skip(InputError(file: name, line: record.line, "the sentence is empty"))
                }
                var target = ContextAnnotator.locate(concept, in: sentence)
                if target == nil {
                    summary.conceptsNotFound += 1
                    target = ContextAnnotator.upperCaseRun(in: sentence) ?? 0..<sentence.utf8.count
                }
                let result = ContextRow(id: id, annotator.attributes(of: target ?? 0..<0, in: sentence))
                summary.rows += 1
                let predicted = ["negation": result.negation, "temporality": result.temporality, "experiencer": result.experiencer]
                for k in gold.indices {
                    let value = record.fields[gold[k].column].trimmingCharacters(in: .whitespaces)
                    if !gold[k].score.add(gold: value, predicted: predicted[gold[k].score.attribute] ?? "") {
                        context.warn("\(name):\(record.line): \(gold[k].score.attribute) `\(value)` is not one of \(gold[k].score.values.joined(separator: ", ")); not scored")
                    }
                }
                try row(result)
            }
        } catch let error as InputError {
            throw TriageError(error)
        }
        guard header != nil else { throw TriageError(.unusable, "the file is empty: expected a header with id, concept, sentence", file: name, line: 1) }
        summary.scores = gold.map(\.score)
        return summary
    }
}
