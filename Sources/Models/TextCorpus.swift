import Corpus
import Foundation
import Inputs

/// One text with its class, as a text classifier trains or is evaluated on it.
public struct LabelledText: Sendable, Equatable {
    /// An id for messages and output: the document id, row number or id column value.
    public var id: String
    /// The free text.
    public var text: String
    /// The class name.
    public var label: String

    /// A labelled text.
    public init(id: String, text: String, label: String) {
        self.id = id
        self.text = text
        self.label = label
    }
}

/// Where the labels of a text task come from in the corpus.
public enum TextLabelSource: Sendable, Equatable, CustomStringConvertible {
    /// Human labels of a task (`triage import csv ... --task NAME`): one class per document.
    case task(String)
    /// Labels mined by rules for a scheme: one observation as a binary classifier
    /// (`O` / `no O`, uncertain skipped), or, with no observation, the single positive
    /// observation of each document (documents with none or several are skipped).
    case rules(scheme: String, observation: String?)

    /// The task name a model trained on these labels is registered under.
    public var taskName: String {
        switch self {
        case .task(let name): return name
        case .rules(let scheme, let observation?): return "\(scheme):\(observation)"
        case .rules(let scheme, nil): return scheme
        }
    }

    public var description: String {
        switch self {
        case .task(let name): return "human labels of task '\(name)'"
        case .rules(let scheme, let observation?): return "rule labels of '\(observation)' in scheme '\(scheme)'"
        case .rules(let scheme, nil): return "rule labels of scheme '\(scheme)'"
        }
    }
}

/// How a CSV of labelled documents maps onto the corpus.
public struct TextImportOptions: Sendable {
    /// The column holding the text.
    public var textColumn: String
    /// The column holding the class.
    public var labelColumn: String
    /// The task (label scheme) the classes belong to.
    public var task: String
    /// What kind of text the documents are.
    public var kind: DocumentKind
    /// The column of a stable document id; the row number when nil.
    public var idColumn: String?

    /// Options for one import.
    public init(textColumn: String, labelColumn: String, task: String, kind: DocumentKind = .vignette, idColumn: String? = nil) {
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.task = task
        self.kind = kind
        self.idColumn = idColumn
    }
}

/// What an import did.
public struct TextImportSummary: Sendable, Equatable, Encodable {
    /// Data rows in the file.
    public var rows = 0
    /// Documents created.
    public var inserted = 0
    /// Documents whose text changed and was replaced.
    public var updated = 0
    /// Documents already present unchanged.
    public var unchanged = 0
    /// Labels written or changed.
    public var labelsWritten = 0
    /// Rows skipped, one message each (file:line: why).
    public var skipped: [String] = []
    /// Distinct classes among the imported rows.
    public var classes = 0
}

/// Why text data could not be read from or written to the corpus.
public struct TextDataError: Error, CustomStringConvertible, Sendable {
    /// What is wrong and what to do.
    public let message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Labelled text in the corpus: CSV import, and the examples a text task trains on.
public enum TextCorpus {
    /// The document source of rows imported from `path` for `task`: rows of one file for one task share it.
    public static func documentSource(task: String, path: String) -> String {
        "\(task):\((path as NSString).lastPathComponent)"
    }

    /// The longest text a row may hold, as `triage mine` skips reports past 1 MiB: a case note
    /// is kilobytes, and a model reads at most its first few hundred words.
    public static let maximumTextBytes = 1 << 20
    /// The longest label: a class name, not a text.
    public static let maximumLabelBytes = 1_000

    /// Why a row's text or label is too long to be a document or a class name, or nil.
    public static func sizeProblem(text: String, label: String) -> String? {
        if text.utf8.count > maximumTextBytes {
            return "the text is \(text.utf8.count) bytes, over the \(maximumTextBytes)-byte limit of a document"
        }
        if label.utf8.count > maximumLabelBytes {
            return "the label is \(label.utf8.count) bytes, over the \(maximumLabelBytes)-byte limit of a class name"
        }
        return nil
    }

    /// Imports the rows of a CSV table as documents with human labels; re-running changes nothing.
    ///
    /// One write transaction: either every good row lands or none does.
    public static func importCSV(_ table: CSVTable, options: TextImportOptions, into corpus: Corpus) throws -> TextImportSummary {
        let task = options.task.trimmingCharacters(in: .whitespaces)
        guard !task.isEmpty else { throw TextDataError("the task must be named, e.g. symptom2disease") }
        let textIndex = try table.column(named: options.textColumn, option: "the text column")
        let labelIndex = try table.column(named: options.labelColumn, option: "the label column")
        let idIndex = try options.idColumn.map { try table.column(named: $0, option: "the id column") }
        guard !table.rows.isEmpty else {
            throw TextDataError("\(table.path): the file has a header but no rows to import")
        }
        var summary = TextImportSummary()
        summary.rows = table.rows.count
        let (rows, problems) = table.validRows()
        summary.skipped = problems
        let source = documentSource(task: task, path: table.path)

        struct Row { let externalId: String; let text: String; let label: String }
        var good: [Row] = []
        var seenIds: [String: Int] = [:]
        for (line, fields) in rows {
            let text = fields[textIndex].trimmingCharacters(in: .whitespacesAndNewlines)
            let label = fields[labelIndex].trimmingCharacters(in: .whitespacesAndNewlines)
            let externalId = idIndex.map { fields[$0].trimmingCharacters(in: .whitespaces) } ?? "row\(line)"
            if text.isEmpty { summary.skipped.append("\(table.path):\(line): the text is empty; row skipped"); continue }
            if label.isEmpty { summary.skipped.append("\(table.path):\(line): the label is empty; row skipped"); continue }
            if let problem = sizeProblem(text: text, label: label) { summary.skipped.append("\(table.path):\(line): \(problem); row skipped"); continue }
            if externalId.isEmpty { summary.skipped.append("\(table.path):\(line): the id is empty; row skipped"); continue }
            if let first = seenIds[externalId] {
                summary.skipped.append("\(table.path):\(line): id '\(externalId)' already used on line \(first); row skipped")
                continue
            }
            seenIds[externalId] = line
            good.append(Row(externalId: externalId, text: text, label: label))
        }
        summary.classes = Set(good.map(\.label)).count

        // A few statements for the whole file (on a server, round trips per row would bound the rate):
        // what the source holds and its labels of the task, the new documents in one batch, then labels.
        try corpus.write { writer in
            let stored = try writer.storedDocuments(source: source)
            var current: [Int64: [(observation: String, value: LabelValue)]] = [:]
            try writer.forEachLabel(scheme: task, source: .human, documentSource: source) { id, _, observation, value in
                current[id, default: []].append((observation, value))
            }
            let now = CorpusTimestamp()
            let hashes = good.map { ContentHash.of($0.text) }
            var fresh: [NewDocument] = []
            for (row, hash) in zip(good, hashes) where stored[row.externalId] == nil {
                fresh.append(NewDocument(source: source, externalId: row.externalId, kind: options.kind, text: row.text, contentHash: hash))
            }
            var created: [String: Int64] = [:]
            for (document, result) in zip(fresh, try writer.insertDocumentsIfAbsent(fresh, importedAt: now)) {
                created[document.externalId] = result.id
            }
            for (row, hash) in zip(good, hashes) {
                let documentId: Int64
                if let existing = stored[row.externalId] {
                    documentId = existing.id
                    if existing.contentHash == hash && existing.kind == options.kind {
                        summary.unchanged += 1
                    } else {
                        try writer.updateDocument(id: existing.id, kind: options.kind, text: row.text, contentHash: hash, importedAt: now)
                        summary.updated += 1
                    }
                } else if let id = created[row.externalId] {
                    documentId = id
                    summary.inserted += 1
                } else {
                    continue
                }
                let labels = current[documentId] ?? []
                if labels.count == 1, labels[0].observation == row.label, labels[0].value == .positive { continue }
                if !labels.isEmpty { try writer.deleteLabels(documentId: documentId, scheme: task, source: .human) }
                try writer.replace(Label(documentId: documentId, scheme: task, observation: row.label, value: .positive, source: .human))
                summary.labelsWritten += 1
            }
        }
        return summary
    }

    /// The labelled texts of a task or scheme, in document order, and why any documents were left out.
    public static func examples(_ source: TextLabelSource, in corpus: Corpus) throws -> (examples: [LabelledText], skipped: [String]) {
        try corpus.read { reader in
            switch source {
            case .task(let task):
                let rows = try reader.labelledDocuments(scheme: task, source: .human, positiveOnly: true)
                var examples: [LabelledText] = []
                var skipped: [String] = []
                var last: Int64 = -1
                for row in rows {
                    if row.documentId == last {
                        skipped.append("document \(row.documentId) has more than one label of task '\(task)'; the first is used")
                        continue
                    }
                    last = row.documentId
                    examples.append(LabelledText(id: "\(row.documentId)", text: row.text, label: row.observation))
                }
                if examples.isEmpty {
                    let tasks = try reader.labelSchemes(source: .human)
                    throw TextDataError("the corpus has no human labels of task '\(task)'"
                        + (tasks.isEmpty ? "; import some with `triage import csv FILE --text-column C --label-column C --task \(task)`"
                                         : "; tasks with human labels: \(tasks.joined(separator: ", "))"))
                }
                return (examples, skipped)

            case .rules(let scheme, let observation):
                let rows = try reader.labelledDocuments(scheme: scheme, source: .rules, positiveOnly: false)
                if rows.isEmpty {
                    let schemes = try reader.labelSchemes(source: .rules)
                    throw TextDataError("the corpus has no rule labels of scheme '\(scheme)'"
                        + (schemes.isEmpty ? "; mine some first with `triage mine`" : "; schemes with rule labels: \(schemes.joined(separator: ", "))"))
                }
                var byDocument: [(id: Int64, text: String, labels: [(String, LabelValue)])] = []
                for row in rows {
                    let entry = (row.observation, row.value)
                    if let last = byDocument.last, last.id == row.documentId {
                        byDocument[byDocument.count - 1].labels.append(entry)
                    } else {
                        byDocument.append((row.documentId, row.text, [entry]))
                    }
                }
                var examples: [LabelledText] = []
                var uncertain = 0, none = 0, several = 0
                if let observation {
                    let known = Set(rows.map(\.observation))
                    guard known.contains(observation) else {
                        throw TextDataError("scheme '\(scheme)' has no rule labels of '\(observation)'; its observations: \(known.sorted().joined(separator: ", "))")
                    }
                    for doc in byDocument {
                        guard let value = doc.labels.first(where: { $0.0 == observation })?.1 else { continue }
                        switch value {
                        case .positive: examples.append(LabelledText(id: "\(doc.id)", text: doc.text, label: observation))
                        case .negative: examples.append(LabelledText(id: "\(doc.id)", text: doc.text, label: "no \(observation)"))
                        case .uncertain: uncertain += 1
                        }
                    }
                } else {
                    for doc in byDocument {
                        let positive = doc.labels.filter { $0.1 == .positive }.map(\.0)
                        switch positive.count {
                        case 1: examples.append(LabelledText(id: "\(doc.id)", text: doc.text, label: positive[0]))
                        case 0: none += 1
                        default: several += 1
                        }
                    }
                }
                var skipped: [String] = []
                if uncertain > 0 { skipped.append("\(uncertain) documents with an uncertain (-1) label left out") }
                if none > 0 { skipped.append("\(none) documents with no positive observation left out") }
                if several > 0 { skipped.append("\(several) documents with several positive observations left out (a text model here predicts one class)") }
                return (examples, skipped)
            }
        }
    }

    /// Reads labelled texts straight from a CSV table (for evaluation files); bad rows are reported, not fatal.
    public static func examples(from table: CSVTable, textColumn: String, labelColumn: String?,
                                idColumn: String?) throws -> (examples: [LabelledText], skipped: [String]) {
        let textIndex = try table.column(named: textColumn, option: "the text column")
        let labelIndex = try labelColumn.map { try table.column(named: $0, option: "the label column") }
        let idIndex = try idColumn.map { try table.column(named: $0, option: "the id column") }
        var skipped: [String] = []
        var examples: [LabelledText] = []
        examples.reserveCapacity(table.rows.count)
        for (n, (fields, line)) in zip(table.rows, table.lines).enumerated() {
            if let problem = table.problem(ofRow: n) {
                skipped.append("\(problem); row skipped")
                continue
            }
            let label = labelIndex.map { fields[$0].trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            if labelIndex != nil && label.isEmpty {
                skipped.append("\(table.path):\(line): the label is empty; row skipped")
                continue
            }
            if let problem = sizeProblem(text: fields[textIndex], label: label) {
                skipped.append("\(table.path):\(line): \(problem); row skipped")
                continue
            }
            let id = idIndex.map { fields[$0] } ?? "\(n + 1)"
            examples.append(LabelledText(id: id, text: fields[textIndex], label: label))
        }
        return (examples, skipped)
    }
}
