import Corpus

/// Labels the conditions of a clinical note (`mine --scheme conditions`): every ICD-10-CM code the
/// condition lexicon finds, with the ConText attributes of its mention and the mention as evidence.
///
/// One code per mention (`mentions(in:)`), one label per code and note. Its value is the patient's status: 1 when the note says the
/// patient has or had the condition, 0 when it is negated or someone else's (a family member's),
/// -1 when it is uncertain or hypothetical. Where a code is mentioned more than once, the mention
/// with the highest status decides (positive, then uncertain, then negative). The attributes
/// keep the rest: negated, uncertain, historical, hypothetical, experiencer.
public final class ConditionLabeler: ReportLabeling {
    public let lexicon: ConditionLexicon
    let annotator: ContextAnnotator

    /// A labeler (one per worker: the annotator reuses buffers).
    public init(lexicon: ConditionLexicon, context: ContextRuleSet) {
        self.lexicon = lexicon
        annotator = ContextAnnotator(rules: context)
    }

    /// The status a mention's attributes give the patient.
    public static func value(_ a: MentionAttributes) -> LabelValue {
        if a.negated || a.experiencer != .patient { return .negative }
        if a.uncertain || a.hypothetical { return .uncertain }
        return .positive
    }

    /// One code per mention: of matches whose spans overlap, the most specific term (most words),
    /// then a title over an inclusion term over a synonym, then a billable code, then an
    /// "unspecified" one (the tabular list's default for a bare term), then the shortest code.
    public func mentions(in text: String) -> [ConditionMatch] {
        let matches = lexicon.matches(in: text).sorted { $0.byteRange.lowerBound < $1.byteRange.lowerBound }
        func better(_ a: ConditionMatch, _ b: ConditionMatch) -> Bool {
            if a.words != b.words { return a.words > b.words }
            if a.byteRange.count != b.byteRange.count { return a.byteRange.count > b.byteRange.count }
            let ab = lexicon.source(of: a.code)?.billable ?? false, bb = lexicon.source(of: b.code)?.billable ?? false
            if ab != bb { return ab }
            let au = a.title.lowercased().contains("unspecified"), bu = b.title.lowercased().contains("unspecified")
            if au != bu { return au }
            func rank(_ s: TermSource) -> Int { s == .title ? 0 : s == .inclusion ? 1 : 2 }
            if rank(a.source) != rank(b.source) { return rank(a.source) < rank(b.source) }
            return a.code.count != b.code.count ? a.code.count < b.code.count : a.code < b.code
        }
        var out: [ConditionMatch] = []
        var group: [ConditionMatch] = []
        var groupEnd = -1
        func close() {
            if let best = group.min(by: better) { out.append(best) }
            group = []
        }
        for m in matches {
            if m.byteRange.lowerBound >= groupEnd { close(); groupEnd = m.byteRange.upperBound } else { groupEnd = max(groupEnd, m.byteRange.upperBound) }
            group.append(m)
        }
        close()
        return out
    }

    public func label(_ text: String) -> [MinedLabel] {
        let matches = mentions(in: text)
        guard !matches.isEmpty else { return [] }
        let attributes = annotator.attributes(of: matches.map(\.byteRange), inNote: text)
        func rank(_ v: LabelValue) -> Int { v == .positive ? 3 : v == .uncertain ? 2 : 1 }
        var best: [String: MinedLabel] = [:]
        var order: [String] = []
        for (match, a) in zip(matches, attributes) {
            let v = ConditionLabeler.value(a)
            let label = MinedLabel(observation: match.code, value: v, evidence: match.byteRange,
                                   ruleId: "icd10cm:\(match.source.rawValue):\(match.term)", attributes: a)
            if let current = best[match.code] {
                if rank(v) > rank(current.value) { best[match.code] = label }
            } else {
                best[match.code] = label
                order.append(match.code)
            }
        }
        return order.compactMap { best[$0] }
    }
}

extension MiningScheme {
    /// The name of the conditions scheme (`mine --scheme conditions`).
    public static let conditionsName = "conditions"

    /// The conditions scheme: the lexicon's codes with the notes' ConText attributes. `version`
    /// should change with the lexicon and the rules (it decides which documents are re-labelled).
    public static func conditions(lexicon: ConditionLexicon, context: ContextRuleSet, version: String) -> MiningScheme {
        MiningScheme(name: conditionsName, version: version) { ConditionLabeler(lexicon: lexicon, context: context) }
    }
}
