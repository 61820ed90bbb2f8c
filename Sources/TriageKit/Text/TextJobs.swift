import Corpus
import Foundation
import Inputs
import Models

/// Options of `import csv`: one document and one human label per row.
public struct TextImportJobOptions: Codable, Sendable {
    /// The CSV file (header row first; .gz accepted).
    public var file: String
    public var textColumn: String
    public var labelColumn: String
    /// The task the classes belong to (the label scheme).
    public var task: String
    public var kind: DocumentKind = .vignette
    /// A column with a stable document id (default: the row number).
    public var idColumn: String?

    /// Options importing `file`.
    public init(file: String, textColumn: String, labelColumn: String, task: String) {
        self.file = file
        self.textColumn = textColumn
        self.labelColumn = labelColumn
        self.task = task
    }
}

/// What `import csv` did, with the file and task its text names.
public struct TextImportResult: Encodable, Sendable, TextReport {
    public var summary: TextImportSummary
    public var file: String, task: String

    /// Encodes as the summary alone.
    public func encode(to encoder: Encoder) throws { try summary.encode(to: encoder) }

    /// One line of counts.
    public var text: String {
        "\(file): \(summary.rows) rows, \(summary.classes) classes of task '\(task)': "
            + "\(summary.inserted) new documents, \(summary.updated) updated, \(summary.unchanged) unchanged; "
            + "\(summary.labelsWritten) labels written\n"
    }
}

extension Workspace {
    /// Imports a CSV of labelled texts as documents with human labels of a task; re-running changes
    /// nothing. Rows that cannot be used are named in warnings and counted (`summary.skipped`).
    public func importTexts(_ options: TextImportJobOptions, context: JobContext = .silent) throws -> TextImportResult {
        guard !options.task.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw TriageError(.unusable, "the task must be named, e.g. symptom2disease")
        }
        let table: CSVTable
        do { table = try CSVTable.read(path: options.file) } catch { throw TriageError(error) }
        let store = try corpus()
        let summary: TextImportSummary
        do {
            summary = try TextCorpus.importCSV(table, options: TextImportOptions(
                textColumn: options.textColumn, labelColumn: options.labelColumn, task: options.task,
                kind: options.kind, idColumn: options.idColumn), into: store)
        } catch {
            throw TriageError(error)
        }
        for message in summary.skipped { context.warn(message) }
        if !summary.skipped.isEmpty { context.note("\(summary.skipped.count) of \(summary.rows) rows skipped") }
        return TextImportResult(summary: summary, file: options.file, task: options.task)
    }
}
