import Foundation
import Inputs
import Models

/// Options of `codes suggest`.
public struct SuggestCodesOptions: Codable, Sendable {
    /// The code model folder (written by `train codes`).
    public var model: String
    /// Texts given directly (ids 1, 2, ...).
    public var texts: [String] = []
    /// Or a file: one note per line, or a CSV when `textColumn` is given (`-` = standard input).
    public var file: String?
    public var textColumn: String?
    public var idColumn: String?
    /// Codes listed per note.
    public var top = 10

    /// Options suggesting codes for `texts` with `model`.
    public init(model: String, texts: [String] = []) {
        self.model = model
        self.texts = texts
    }
}

/// The codes of one note, best first.
public struct SuggestedCodes: Sendable {
    public var id: ScoreID
    public var codes: [CodeModel.Suggestion]

    /// `{"id", "codes": [{"code", "score", "selected", "evidence": {"start", "end", "text"} | null}]}` on one line.
    public var json: String {
        var s = "{\"id\":"
        switch id {
        case .row(let n): s += String(n)
        case .name(let name): s += TextScoring.quoted(name)
        }
        s += ",\"codes\":["
        for (i, c) in codes.enumerated() {
            if i > 0 { s += "," }
            s += "{\"code\":\(TextScoring.quoted(c.code)),\"score\":\(String(format: "%.4f", c.score)),\"selected\":\(c.selected),\"evidence\":"
            if let e = c.evidence {
                s += "{\"start\":\(e.range.lowerBound),\"end\":\(e.range.upperBound),\"text\":\(TextScoring.quoted(e.text)),\"term\":\(TextScoring.quoted(e.term))}"
            } else {
                s += "null"
            }
            s += "}"
        }
        return s + "]}"
    }

    /// A ranked table: score, a mark for selected codes, code, title and the words behind it.
    public func text(single: Bool) -> String {
        var out = single ? "" : "\(id.description):\n"
        for c in codes {
            out += String(format: "  %@ %.3f  %@", c.selected ? "*" : " ", c.score, c.code.padding(toLength: 8, withPad: " ", startingAt: 0))
            if let e = c.evidence { out += "  \"\(e.text)\" (\(e.title))" }
            out += "\n"
        }
        return out
    }
}

extension ScoreID {
    /// The row number or id as written.
    public var description: String {
        switch self {
        case .row(let n): return "\(n)"
        case .name(let name): return name
        }
    }
}

/// What `codes suggest` did besides the suggestions.
public struct SuggestCodesSummary: Codable, Sendable {
    public var notes: Int
    public var seconds: Double
}

extension Workspace {
    /// Ranks the ICD-10-CM codes of notes with a code model; `emit` receives each note's codes in input order.
    public func suggestCodes(_ options: SuggestCodesOptions, context: JobContext = .silent,
                             emit: (SuggestedCodes) throws -> Void) throws -> SuggestCodesSummary {
        guard options.top >= 1 else { throw TriageError(.unusable, "the number of codes to list must be at least 1") }
        let started = Date()
        var score = ScoreOptions(model: options.model, texts: options.texts)
        score.file = options.file
        score.textColumn = options.textColumn
        score.idColumn = options.idColumn
        let inputs = try readScoreInputs(score, context: context)
        let model: CodeModel
        do { model = try CodeModel.load(from: options.model) } catch { throw TriageError(error) }
        // Progress only for files long enough to wait for.
        let meter = ProgressMeter(inputs.count > 256 ? context : .silent, stage: "codes suggest", unit: "notes")
        var done = 0
        // Batches keep memory flat on a large file and let the meter report.
        for start in stride(from: 0, to: inputs.count, by: 256) {
            let batch = Array(inputs[start..<min(start + 256, inputs.count)])
            let suggestions = model.suggest(batch.map(\.text), top: options.top)
            for (input, codes) in zip(batch, suggestions) { try emit(SuggestedCodes(id: input.id, codes: codes)) }
            done += batch.count
            meter.update(done: done, total: inputs.count)
        }
        meter.finish(done: done, total: inputs.count)
        return SuggestCodesSummary(notes: inputs.count, seconds: Date().timeIntervalSince(started))
    }
}
