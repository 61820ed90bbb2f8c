import Corpus
/// One label a report gets: the observation, its value and the sentence that decided it.
public struct MinedLabel: Sendable, Equatable {
    /// The label name of the scheme.
    public let observation: String
    /// positive 1, negative 0, uncertain -1.
    public let value: LabelValue
    /// UTF-8 byte range of the evidence sentence in the report text (nil for a derived label without one).
    public let evidence: Range<Int>?
    /// `file:line` of the phrase that matched, or `derived` for the derived label.
    public let ruleId: String
    /// A condition's ConText attributes (the conditions scheme), else nil.
    public var attributes: MentionAttributes? = nil
}

/// What labels a report's text: a scheme's rules (`Labeler`) or the condition lexicon (`ConditionLabeler`).
/// One per worker thread.
public protocol ReportLabeling: AnyObject {
    /// The labels of `text`, one per observation.
    func label(_ text: String) -> [MinedLabel]
}

extension Labeler: ReportLabeling {}

/// What `Miner` needs of a scheme: its name and version (stored with every label), its derived
/// label, and a labeler per worker.
public struct MiningScheme: Sendable {
    public let name: String
    public let version: String
    let derivedLabel: String?
    let derivedWhenFound: LabelValue?
    /// Makes a labeler (called once per worker and batch).
    public let makeLabeler: @Sendable () -> ReportLabeling

    /// A scheme of rules, labelling `sections` (nil: the scheme's own).
    public init(rules: RuleSet, sections: [String]?) {
        name = rules.scheme
        version = rules.version
        derivedLabel = rules.derivedLabel
        derivedWhenFound = rules.derivedWhenFound
        makeLabeler = { Labeler(rules: rules, sections: sections) }
    }

    /// Any other labelling: no derived label.
    public init(name: String, version: String, makeLabeler: @escaping @Sendable () -> ReportLabeling) {
        self.name = name
        self.version = version
        derivedLabel = nil
        derivedWhenFound = nil
        self.makeLabeler = makeLabeler
    }
}

/// A section of a report: its name (`findings`, `impression`, `other`) and its body's byte range.
public struct Section: Sendable, Equatable {
    /// The section's canonical name.
    public let name: String
    /// The byte range of the section body (after the heading).
    public let body: Range<Int>
}

/// How one mention in a sentence was judged.
public struct MentionJudgement: Sendable {
    /// The observation (label name, or `(abnormal)`).
    public let observation: String
    /// positive, negative or uncertain.
    public let value: LabelValue
    /// The mention's byte range.
    public let span: Range<Int>
    /// The phrase rule that matched.
    public let ruleId: String
    /// The context rule that negated or made it uncertain, if any.
    public let contextRuleId: String?
}

/// Labels reports with a `RuleSet`: sections, sentences, phrase matches, negation, aggregation.
///
/// Not thread-safe (it reuses buffers): give each worker its own `Labeler`.
public final class Labeler {
    /// The rules in use.
    public let rules: RuleSet
    /// The sections labelled; empty means the whole text.
    public let sections: Set<String>
    /// Sentences longer than this are labelled in pieces.
    static let maxSentenceBytes = 1000
    /// Context read on each side of a piece of a long sentence (more than any trigger's window).
    static let margin = 400
    private var tokens: [Token] = []
    private var matches: [PhraseMatch] = []

    /// A labeler for `rules`, labelling `sections` (default: the scheme's default sections).
    public init(rules: RuleSet, sections: [String]? = nil) {
        self.rules = rules
        self.sections = Set((sections ?? rules.defaultSections).map { $0.lowercased() })
    }

    // MARK: Sections

    /// The sections of `bytes` (lowercased UTF-8): known headings at a line start (or after
    /// a sentence end, in ALL CAPS) followed by a colon, or alone on their line.
    public func findSections(_ bytes: UnsafeBufferPointer<UInt8>, original: UnsafeBufferPointer<UInt8>) -> [Section] {
        var heads: [(name: String, headStart: Int, bodyStart: Int)] = []
        let n = bytes.count
        var i = 0
        while i < n {
            // Candidate starts: the text start, after a newline, or after ". " / ".," (notes run sections together).
            var candidate = i == 0
            var midLine = false
            if i > 0 {
                let p = bytes[i - 1]
                if p == 10 { candidate = true }
                else if (p == 32 || p == 44) && i >= 2 && bytes[i - 2] == 46 { candidate = true; midLine = true }
            }
            if candidate {
                var s = i
                while s < n && (bytes[s] == 32 || bytes[s] == 9) { s += 1 }
                var e = s
                var allCaps = true
                var letters = 0
                while e < n && e - s < 48 && bytes[e] != 58 && bytes[e] != 10 && bytes[e] != 46 {
                    let o = original[e]
                    if o >= 97 && o <= 122 { allCaps = false }
                    if (o >= 65 && o <= 90) || (o >= 97 && o <= 122) { letters += 1 }
                    e += 1
                }
                let hasColon = e < n && bytes[e] == 58
                let lineEnd = e >= n || bytes[e] == 10
                var t = e
                while t > s && (bytes[t - 1] == 32 || bytes[t - 1] == 9) { t -= 1 }
                if t > s && (hasColon || (lineEnd && allCaps && !midLine)) && letters >= 3 {
                    let head = String(decoding: UnsafeBufferPointer(rebasing: bytes[s..<t]), as: UTF8.self)
                    var name = rules.text.headings[head]
                    if name == nil && allCaps && hasColon { name = "other" }
                    if let name, !(midLine && !allCaps) {
                        var body = hasColon ? e + 1 : e
                        while body < n && (bytes[body] == 44 || bytes[body] == 32) { body += 1 }
                        heads.append((name, s, body))
                        i = body
                        continue
                    }
                }
            }
            i += 1
        }
        var result: [Section] = []
        for (k, h) in heads.enumerated() {
            let end = k + 1 < heads.count ? heads[k + 1].headStart : n
            if end > h.bodyStart { result.append(Section(name: h.name, body: h.bodyStart..<end)) }
        }
        return result
    }

    /// The byte ranges to label: the chosen sections, else the whole text.
    func rangesToLabel(_ bytes: UnsafeBufferPointer<UInt8>, original: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        if sections.isEmpty { return [0..<bytes.count] }
        let found = findSections(bytes, original: original)
        let chosen = found.filter { sections.contains($0.name) }.map(\.body).filter { r in
            r.contains { !TextScanner.isSpace(bytes[$0]) }
        }
        return chosen.isEmpty ? [0..<bytes.count] : chosen
    }

    // MARK: Labelling

    /// The labels of one report, one per observation that was found (plus the derived label).
    public func label(_ text: String) -> [MinedLabel] {
        var judgements: [MentionJudgement] = []
        let lowered = TextScanner.lowered(text)
        var original = Array(text.utf8)
        original.withUnsafeMutableBufferPointer { orig in
            lowered.withUnsafeBufferPointer { bytes in
                for range in rangesToLabel(bytes, original: UnsafeBufferPointer(orig)) {
                    for sentence in TextScanner.sentences(UnsafeBufferPointer(orig), range, abbreviations: rules.text.abbreviations) {
                        // A run-on "sentence" (a table, a text without periods) is cut at spaces every
                        // ~1,000 bytes: scopes are a few words long, and the work stays linear.
                        // Each piece is read with a margin of context on both sides (so a trigger just
                        // across a cut still reaches), but only its own mentions are counted.
                        var start = sentence.lowerBound
                        while sentence.upperBound - start > Labeler.maxSentenceBytes {
                            var cut = start + Labeler.maxSentenceBytes
                            while cut > start + Labeler.maxSentenceBytes / 2 && !TextScanner.isSpace(bytes[cut]) { cut -= 1 }
                            let context = max(sentence.lowerBound, start - Labeler.margin)..<min(sentence.upperBound, cut + Labeler.margin)
                            judge(bytes, sentence: context, into: &judgements, sentenceRanges: true, counting: start..<cut)
                            start = cut
                        }
                        let context = max(sentence.lowerBound, start - Labeler.margin)..<sentence.upperBound
                        judge(bytes, sentence: context, into: &judgements, sentenceRanges: true, counting: start..<sentence.upperBound)
                    }
                }
            }
        }
        return aggregate(judgements)
    }

    /// The mentions of one sentence with their negation / uncertainty (used by tests and NegEx scoring).
    public func judgeSentence(_ sentence: String) -> [MentionJudgement] {
        var judgements: [MentionJudgement] = []
        let lowered = TextScanner.lowered(sentence)
        lowered.withUnsafeBufferPointer { bytes in
            judge(bytes, sentence: 0..<bytes.count, into: &judgements, sentenceRanges: false)
        }
        return judgements
    }

    /// The judgement of an arbitrary target span inside `sentence` (NegEx-style: the concept is given).
    public func judgeTarget(_ sentence: String, target: Range<Int>) -> (value: LabelValue, ruleId: String?) {
        let lowered = TextScanner.lowered(sentence)
        return lowered.withUnsafeBufferPointer { bytes -> (LabelValue, String?) in
            tokens.removeAll(keepingCapacity: true)
            TextScanner.tokenize(bytes, 0..<bytes.count, into: &tokens)
            guard let first = tokens.firstIndex(where: { Int($0.end) > target.lowerBound }),
                  let last = tokens.lastIndex(where: { Int($0.start) < target.upperBound }), first <= last else {
                return (.positive, nil)
            }
            findMatches(bytes)
            let triggers = resolveTriggers(excluding: first..<(last + 1))
            return context(of: first..<(last + 1), triggers: triggers)
        }
    }

    /// Finds all phrase matches of the tokens in `tokens`.
    private func findMatches(_ bytes: UnsafeBufferPointer<UInt8>) {
        rules.phraseIndex.findMatches(tokens, bytes, into: &matches)
    }

    struct Trigger { var start: Int; var end: Int; var kind: ContextRule.Kind; var direction: ContextRule.Direction; var window: Int; var ruleId: String }

    /// Triggers that survive: longest first, none overlapping a longer trigger or a pseudo-trigger.
    private func resolveTriggers(excluding target: Range<Int>? = nil) -> (triggers: [Trigger], terminators: [Int]) {
        var candidates: [(PhraseMatch, Phrase)] = []
        var terminators: [Int] = []
        for m in matches {
            let phrase = rules.phraseIndex.phrases[Int(m.phrase)]
            switch phrase.role {
            case .trigger, .pseudo: candidates.append((m, phrase))
            case .terminator: terminators.append(m.start)
            default: break
            }
        }
        for (k, t) in tokens.enumerated() where !t.isWord && (t.hash == TextScanner.mix(TextScanner.hashBasis, 59)
                                                             || t.hash == TextScanner.mix(TextScanner.hashBasis, 58)) {
            terminators.append(k)  // ; and :
        }
        candidates.sort { ($0.0.end - $0.0.start, -$0.0.start) > ($1.0.end - $1.0.start, -$1.0.start) }
        var taken: [Range<Int>] = []
        var triggers: [Trigger] = []
        for (m, phrase) in candidates {
            let span = m.start..<m.end
            // Overlapped by a longer trigger: dropped. The same phrase as a pre- and a post-trigger: both kept.
            if taken.contains(where: { $0.overlaps(span) && $0 != span }) { continue }
            if let target, target.overlaps(span) { continue }
            taken.append(span)
            if case .trigger(let kind, let direction) = phrase.role {
                triggers.append(Trigger(start: m.start, end: m.end, kind: kind, direction: direction,
                                        window: phrase.window, ruleId: phrase.ruleId))
            }
        }
        return (triggers, terminators)
    }

    /// Whether words between token `a` (inclusive) and `b` (exclusive) are within `window` and unbroken.
    private func inScope(_ a: Int, _ b: Int, window: Int, terminators: [Int]) -> Bool {
        if b < a { return false }
        var words = 0
        // Counting stops past the window: a mention far from a trigger costs the window, not the distance.
        for k in a..<b where tokens[k].isWord {
            words += 1
            if words > window { return false }
        }
        return !terminators.contains { $0 >= a && $0 < b }
    }

    /// Negated, uncertain or affirmed: the nearest trigger in scope decides (pre before post).
    private func context(of span: Range<Int>, triggers: (triggers: [Trigger], terminators: [Int])) -> (LabelValue, String?) {
        var bestPre: Trigger?
        var bestPost: Trigger?
        for t in triggers.triggers {
            // A trigger inside a gapped mention ("heart is not enlarged") governs it too.
            let inside = t.start > span.lowerBound && t.end < span.upperBound
            if inside {
                if t.end > (bestPre?.end ?? -1) { bestPre = t }
            } else if t.direction == .pre && t.end <= span.lowerBound
                && inScope(t.end, span.lowerBound, window: t.window, terminators: triggers.terminators) {
                if t.end > (bestPre?.end ?? -1) { bestPre = t }
            } else if t.direction == .post && t.start >= span.upperBound
                        && inScope(span.upperBound, t.start, window: t.window, terminators: triggers.terminators) {
                if t.start < (bestPost?.start ?? Int.max) { bestPost = t }
            }
        }
        guard let decided = bestPre ?? bestPost else { return (.positive, nil) }
        return (decided.kind == .negation ? .negative : .uncertain, decided.ruleId)
    }

    private func judge(_ bytes: UnsafeBufferPointer<UInt8>, sentence: Range<Int>,
                       into judgements: inout [MentionJudgement], sentenceRanges: Bool, counting: Range<Int>? = nil) {
        tokens.removeAll(keepingCapacity: true)
        TextScanner.tokenize(bytes, sentence, into: &tokens)
        if tokens.isEmpty { return }
        findMatches(bytes)
        if matches.isEmpty { return }
        // Mentions: drop those overlapped by an exclusion of the same observation or a longer mention of it.
        var mentions: [(PhraseMatch, Int, String)] = []
        var exclusions: [(Range<Int>, Int)] = []
        for m in matches {
            let phrase = rules.phraseIndex.phrases[Int(m.phrase)]
            switch phrase.role {
            case .mention(let o): mentions.append((m, o, phrase.ruleId))
            case .exclude(let o): exclusions.append((m.start..<m.end, o))
            default: break
            }
        }
        if mentions.isEmpty { return }
        let triggers = resolveTriggers()
        for (k, (m, o, ruleId)) in mentions.enumerated() {
            let span = m.start..<m.end
            if let counting, !counting.contains(Int(tokens[m.start].start)) { continue }
            if exclusions.contains(where: { $0.1 == o && $0.0.overlaps(span) }) { continue }
            let longer = mentions.enumerated().contains { j, other in
                j != k && other.1 == o && other.0.start <= m.start && other.0.end >= m.end
                    && (other.0.end - other.0.start > m.end - m.start || (other.0.end - other.0.start == m.end - m.start && j < k))
            }
            if longer { continue }
            let (value, contextRule) = context(of: span, triggers: triggers)
            let evidence = sentenceRanges ? sentence
                                          : Int(tokens[m.start].start)..<Int(tokens[m.end - 1].end)
            judgements.append(MentionJudgement(observation: rules.observations[o], value: value,
                                               span: evidence, ruleId: contextRule ?? ruleId,
                                               contextRuleId: contextRule))
        }
    }

    /// CheXpert aggregation: positive over uncertain over negative; the derived label from the rest.
    func aggregate(_ judgements: [MentionJudgement]) -> [MinedLabel] {
        var best: [String: MentionJudgement] = [:]
        func rank(_ v: LabelValue) -> Int { v == .positive ? 3 : v == .uncertain ? 2 : 1 }
        for j in judgements {
            if let current = best[j.observation], rank(current.value) >= rank(j.value) { continue }
            best[j.observation] = j
        }
        var result: [MinedLabel] = []
        for label in rules.labels where label != rules.derivedLabel {
            if let j = best[label] {
                let value: LabelValue = j.value == .uncertain && rules.uncertainAsNegative ? .negative : j.value
                result.append(MinedLabel(observation: label, value: value, evidence: j.span, ruleId: j.ruleId))
            }
        }
        if let derived = rules.derivedLabel {
            let abnormal = judgements.first { j in
                !rules.derivedIgnores.contains(j.observation)
                    && (j.value == .positive || (j.value == .uncertain && rules.derivedCountsUncertain))
            }
            if let abnormal {
                if let v = rules.derivedWhenFound {
                    result.append(MinedLabel(observation: derived, value: v, evidence: abnormal.span, ruleId: "derived"))
                }
            } else {
                result.append(MinedLabel(observation: derived, value: .positive, evidence: nil, ruleId: "derived"))
            }
        }
        return result
    }
}
