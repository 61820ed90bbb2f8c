import Foundation

/// How an input is named in score output: its row (line) number or an id column's value.
public enum ScoreID: Sendable, Equatable {
    /// 1-based row or line number (printed as a JSON number).
    case row(Int)
    /// A value from the id column (printed as a JSON string).
    case name(String)
}

/// Scoring many texts with a text classifier, and the output formats of `triage score`.
public enum TextScoring {
    /// The outcome for one text.
    public struct Result: Sendable {
        /// Ranked predictions (empty when the text could not be scored).
        public var predictions: [TextClassifier.Prediction]
        /// The words that moved the top prediction most (with --explain).
        public var explanation: [TextClassifier.WordEffect]?
        /// A caution about the input (few known words, text cut).
        public var warning: String?
        /// Why the text could not be scored.
        public var error: String?
        /// How like the model's training cases the text is (nil for a model without a scope).
        public var scope: ScopeJudgement?
    }

    /// Share of known words under which a text is flagged as probably another language or domain.
    public static let knownWordWarningShare = 0.25

    /// True when a text has no word the preparation can read.
    public static func isEmpty(_ text: String) -> Bool {
        TextPreparation.tokens(of: text).isEmpty
    }

    /// Scores texts in input order: empty texts get an error, unfamiliar or cut texts a warning,
    /// every scored text a scope judgement when the model has a scope (`scopeThreshold` overrides
    /// the model's threshold).
    public static func score(_ texts: [String], with classifier: TextClassifier, top: Int, explain: Bool,
                             scopeThreshold: Double? = nil) -> [Result] {
        let preparation = classifier.preparation
        let encoded = texts.map { preparation.encode($0) }
        let scorable = encoded.indices.filter { !encoded[$0].tokens.isEmpty }
        let (probabilities, scope) = classifier.probabilitiesAndScope(encoded: scorable.map { encoded[$0] }, threshold: scopeThreshold)
        var results = [Result](repeating: Result(predictions: [], explanation: nil, warning: nil,
                                                 error: "the text is empty (no words to score)"), count: texts.count)
        for (row, index) in scorable.enumerated() {
            let e = encoded[index]
            var warnings: [String] = []
            if e.tokens.count >= 3 && Double(e.knownWords) < knownWordWarningShare * Double(e.tokens.count) {
                warnings.append("only \(e.knownWords) of \(e.tokens.count) words are in the model's vocabulary "
                                + "(another language or another kind of text?): the predictions are unreliable")
            }
            if e.totalTokens > e.tokens.count {
                warnings.append("the text has \(e.totalTokens) words; only the first \(e.tokens.count) were read")
            }
            let ranked = classifier.ranked(probabilities[row], top: top)
            var explanation: [TextClassifier.WordEffect]?
            if explain, let best = ranked.first, let classIndex = classifier.classes.firstIndex(of: best.label) {
                explanation = classifier.explain(encoded: e, classIndex: classIndex)
            }
            results[index] = Result(predictions: ranked, explanation: explanation,
                                    warning: warnings.isEmpty ? nil : warnings.joined(separator: "; "), error: nil,
                                    scope: scope?[row])
        }
        return results
    }

    /// One JSON object (one line): id, predictions, and explanation / warning / error when present.
    public static func json(id: ScoreID, result: Result) -> String {
        var s = "{\"id\":"
        switch id {
        case .row(let n): s += String(n)
        case .name(let name): s += quoted(name)
        }
        s += ",\"predictions\":["
        for (i, p) in result.predictions.enumerated() {
            if i > 0 { s += "," }
            s += "{\"label\":" + quoted(p.label) + ",\"probability\":" + number(p.probability) + "}"
        }
        s += "]"
        if let explanation = result.explanation {
            s += ",\"explanation\":["
            for (i, w) in explanation.enumerated() {
                if i > 0 { s += "," }
                s += "{\"word\":" + quoted(w.word) + ",\"effect\":" + number(w.effect) + "}"
            }
            s += "]"
        }
        if let scope = result.scope { s += ",\"inScope\":\(scope.inScope),\"scopeScore\":" + number(scope.score) }
        if let warning = result.warning { s += ",\"warning\":" + quoted(warning) }
        if let error = result.error { s += ",\"error\":" + quoted(error) }
        return s + "}"
    }

    /// What a reader of an out-of-scope ranking must be told first: the case is unlike those the
    /// model was trained on, and what the model can answer.
    public static func outOfScopeNotice(classes: [String]) -> String {
        let shown = classes.prefix(30).joined(separator: ", ") + (classes.count > 30 ? ", ..." : "")
        return "This case is unlike the cases of the \(classes.count) diagnoses this model was trained on; "
            + "the ranking below is not a diagnosis. The model knows only: \(shown)."
    }

    /// Plain text: a ranked table for one text (id nil), led by `outOfScopeNotice` when the text
    /// is out of scope, else one line per text.
    public static func plain(id: ScoreID?, result: Result, classes: [String] = []) -> String {
        guard let id else {
            if let error = result.error { return "no predictions: \(error)" }
            let notice = result.scope?.inScope == false ? [outOfScopeNotice(classes: classes)] : []
            let width = min(48, result.predictions.map(\.label.count).max() ?? 0)
            var lines = result.predictions.enumerated().map { i, p in
                String(format: "%2d. ", i + 1) + p.label.padding(toLength: max(width, p.label.count), withPad: " ", startingAt: 0)
                    + String(format: "  %.3f", p.probability)
            }
            if let explanation = result.explanation, let best = result.predictions.first {
                lines.append("words that moved '\(best.label)' most: "
                             + explanation.map { $0.word + String(format: " (%+.3f)", $0.effect) }.joined(separator: ", "))
            }
            return (notice + lines).joined(separator: "\n")
        }
        let name: String
        switch id {
        case .row(let n): name = String(n)
        case .name(let s): name = s
        }
        if let error = result.error { return "\(name)\terror: \(error)" }
        var line = name + "\t" + result.predictions.map { $0.label + String(format: " %.3f", $0.probability) }.joined(separator: "\t")
        if let explanation = result.explanation {
            line += "\twords: " + explanation.map { $0.word + String(format: " %+.3f", $0.effect) }.joined(separator: ", ")
        }
        if let scope = result.scope, !scope.inScope { line += String(format: "\tout of scope (score %.3g)", scope.score) }
        if let warning = result.warning { line += "\twarning: \(warning)" }
        return line
    }

    /// A JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// A JSON number with 6 significant decimals.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        return String(format: "%.6g", x)
    }
}
