import Foundation
import Inputs
import Models

/// Options of `score`: a text model and the texts it ranks.
public struct ScoreOptions: Codable, Sendable {
    /// The text model (written by `train text`).
    public var model: String
    /// Texts given directly (ids 1, 2, ...).
    public var texts: [String] = []
    /// Or a file of texts: one per line, or a CSV when `textColumn` is given (`-` = standard input).
    public var file: String?
    /// The CSV column holding the text.
    public var textColumn: String?
    /// The CSV column holding an id to report instead of the row number.
    public var idColumn: String?
    /// How many classes to list per text.
    public var top = 5
    /// Name the words that moved the top prediction most.
    public var explain = false
    /// Overrides the model's scope threshold (a text scoring below it is out of scope).
    public var scopeThreshold: Double?

    /// Options scoring `texts` with `model`.
    public init(model: String, texts: [String] = []) {
        self.model = model
        self.texts = texts
    }
}

/// One scored text, in input order.
public struct ScoredText: Sendable {
    /// Its row (line) number or id column value.
    public var id: ScoreID
    public var result: TextScoring.Result
    /// The classes the model knows, in output order (what an out-of-scope notice names).
    public var classes: [String]
    /// The object `score --json` prints for it (one line).
    public var json: String { TextScoring.json(id: id, result: result) }
    /// What `score` prints for it without --json (`single`: the one text given, a ranked table).
    public func text(single: Bool) -> String { TextScoring.plain(id: single ? nil : id, result: result, classes: classes) }
}

/// What `score` did besides the scores.
public struct ScoreSummary: Codable, Sendable {
    /// Texts read, scored, warned about, not scorable (empty), and out of scope.
    public var texts: Int, scored: Int, warned: Int, failed: Int, outOfScope = 0
    public var seconds: Double
}

extension Workspace {
    /// Ranks the classes of free-text case vignettes; `emit` receives every text's result in input order.
    public func score(_ options: ScoreOptions, context: JobContext = .silent, emit: (ScoredText) throws -> Void) throws -> ScoreSummary {
        guard options.top >= 1 else { throw TriageError(.unusable, "the number of classes to list must be at least 1") }
        let inputs = try readScoreInputs(options, context: context)
        let started = Date()
        if let threshold = options.scopeThreshold, !(0...1).contains(threshold) {
            throw TriageError(.unusable, "the scope threshold is a score between 0 and 1, not \(threshold)")
        }
        let results: [TextScoring.Result], classes: [String]
        do {
            (results, classes) = try modelCache.withText(options.model) { classifier in
                (TextScoring.score(inputs.map(\.text), with: classifier, top: options.top, explain: options.explain,
                                   scopeThreshold: options.scopeThreshold), classifier.classes)
            }
        } catch {
            throw TriageError(error)
        }
        var summary = ScoreSummary(texts: inputs.count, scored: 0, warned: 0, failed: 0, seconds: 0)
        for (input, result) in zip(inputs, results) {
            if result.error != nil { summary.failed += 1 } else { summary.scored += 1 }
            if result.warning != nil { summary.warned += 1 }
            if result.scope?.inScope == false { summary.outOfScope += 1 }
            try emit(ScoredText(id: input.id, result: result, classes: classes))
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// The texts of the options: given directly, else the file's lines or CSV rows.
    func readScoreInputs(_ options: ScoreOptions, context: JobContext) throws -> [(id: ScoreID, text: String)] {
        if !options.texts.isEmpty { return options.texts.enumerated().map { (.row($0.offset + 1), $0.element) } }
        guard let path = options.file else { throw TriageError(.unusable, "no text to score: give a text or a file of texts") }
        let name = InputFile.displayName(path)
        do {
            let bytes = try InputFile.read(path)
            if let textColumn = options.textColumn {
                let table = try CSVTable.parse(bytes, path: name)
                let rows = try TextCorpus.examples(from: table, textColumn: textColumn, labelColumn: nil, idColumn: options.idColumn)
                for message in rows.skipped { context.warn(message) }
                if rows.examples.isEmpty { throw TriageError(.unusable, "no rows to score", file: name) }
                return rows.examples.map { (options.idColumn == nil ? .row(Int($0.id) ?? 0) : .name($0.id), $0.text) }
            }
            var inputs: [(id: ScoreID, text: String)] = []
            var line = 0
            var skipped = 0
            for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                line += 1
                // A line that is not UTF-8 (or holds a NUL) is skipped and named, not scored as U+FFFD.
                guard !raw.contains(0), let decoded = String(validating: raw, as: UTF8.self) else {
                    context.warn("\(name):\(line): not UTF-8 text (invalid bytes or a NUL byte); line skipped")
                    skipped += 1
                    continue
                }
                let text = decoded.hasSuffix("\r") ? String(decoded.dropLast()) : decoded
                if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                if let problem = TextCorpus.sizeProblem(text: text, label: "") {
                    context.warn("\(name):\(line): \(problem); line skipped")
                    skipped += 1
                    continue
                }
                inputs.append((.row(line), text))
            }
            if inputs.isEmpty {
                throw TriageError(.unusable, skipped > 0 ? "no line of the file is a usable text (see the warnings)" : "the file has no texts (no non-blank lines)", file: name)
            }
            return inputs
        } catch {
            throw TriageError(error)
        }
    }
}
