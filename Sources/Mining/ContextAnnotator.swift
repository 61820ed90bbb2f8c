/// The ConText attributes of one condition mention in a clinical note.
///
/// Three attributes, after Harkema et al. 2009 (ConText): whether it is there (negated,
/// uncertain), when (historical, hypothetical, else recent) and who has it (patient, family, other).
public struct MentionAttributes: Sendable, Equatable, Codable {
    /// Who has the condition.
    public enum Experiencer: String, Sendable, Codable, CaseIterable { case patient, family, other }
    /// When: now (this visit or admission), in the past, or not at any particular time ("if fever recurs").
    public enum Temporality: String, Sendable, Codable, CaseIterable { case recent, historical, hypothetical }

    /// Said to be absent ("denies chest pain").
    public var negated = false
    /// Said to be possible ("possible pneumonia").
    public var uncertain = false
    /// Said to be past ("history of MI", "status post CABG", a past-history section).
    public var historical = false
    /// Not at a particular time ("return if fever", "as needed for pain").
    public var hypothetical = false
    /// The patient unless a family member or someone else is said to have it.
    public var experiencer: Experiencer = .patient
    /// `file:line` of each rule that set an attribute (a section's heading rule included).
    public var ruleIds: [String] = []

    /// Hypothetical over historical over recent (the two never both hold: one trigger decides).
    public var temporality: Temporality { hypothetical ? .hypothetical : historical ? .historical : .recent }

    /// The defaults: affirmed, recent, the patient.
    public init() {}
}

/// Judges the ConText attributes of condition mentions with a `ContextRuleSet`.
///
/// Each attribute is decided on its own, as in ConText: among the triggers of its kinds in the
/// sentence (the longest of overlapping ones; a pseudo-trigger of those kinds cancels what it
/// overlaps), a trigger inside the mention decides, else the nearest pre-trigger whose scope
/// reaches the mention, else the nearest post-trigger. A pre-trigger reaches forward over at most
/// `window` words, a post-trigger backward, and neither across a terminator of its kind, a `;`
/// or a `:`. A `section` trigger is a heading followed by `:` and reaches to the next `:`. In a
/// whole note, a heading at the start of a line ("FAMILY HISTORY:") also sets what its section's
/// sentences default to when no trigger of theirs decides.
///
/// Not thread-safe (it reuses buffers): give each worker its own annotator.
public final class ContextAnnotator {
    /// The rules in use.
    public let rules: ContextRuleSet
    private var tokens: [Token] = []
    private var matches: [PhraseMatch] = []
    private var candidates: [(match: PhraseMatch, phrase: Phrase)] = []

    /// The three attributes and the kinds that decide each.
    static let attributes: [[ContextRule.Kind]] = [[.negation, .uncertainty], [.historical, .hypothetical], [.family, .other]]
    /// Bytes of context kept on each side of a mention in a long run-on sentence.
    static let margin = 1000

    /// An annotator for `rules`.
    public init(rules: ContextRuleSet) { self.rules = rules }

    struct Trigger {
        var start: Int, end: Int
        var kind: ContextRule.Kind
        var direction: ContextRule.Direction
        var window: Int
        var ruleId: String
    }

    // MARK: One sentence

    /// The attributes of the mention at UTF-8 byte range `target` of `sentence`.
    public func attributes(of target: Range<Int>, in sentence: String) -> MentionAttributes {
        let lowered = TextScanner.lowered(sentence)
        return lowered.withUnsafeBufferPointer { bytes in
            judge(bytes, sentence: 0..<bytes.count, target: target, defaults: [:])
        }
    }

    /// The attributes of `concept` in `sentence` (found by `locate`), or nil when it is not there.
    public func attributes(ofConcept concept: String, in sentence: String) -> MentionAttributes? {
        guard let range = Self.locate(concept, in: sentence) else { return nil }
        return attributes(of: range, in: sentence)
    }

    // MARK: A whole note

    /// The attributes of each mention (UTF-8 byte ranges of `note`), each judged in its sentence,
    /// with the defaults of the section it is in.
    public func attributes(of targets: [Range<Int>], inNote note: String) -> [MentionAttributes] {
        var original = Array(note.utf8)
        let lowered = TextScanner.lowered(note)
        return original.withUnsafeMutableBufferPointer { orig in
            lowered.withUnsafeBufferPointer { bytes -> [MentionAttributes] in
                let n = bytes.count
                let sentences = TextScanner.sentences(UnsafeBufferPointer(orig), 0..<n, abbreviations: rules.abbreviations)
                let sections = sectionDefaults(bytes)
                return targets.map { raw in
                    let target = max(0, min(raw.lowerBound, n))..<max(0, min(raw.upperBound, n))
                    // The sentence that holds the mention's start (one that ends before it does is widened).
                    var sentence = 0..<n
                    if let s = sentences.first(where: { $0.upperBound > target.lowerBound }) {
                        sentence = min(s.lowerBound, target.lowerBound)..<max(s.upperBound, target.upperBound)
                    }
                    var lower = sentence.lowerBound, upper = sentence.upperBound
                    if target.lowerBound - lower > Self.margin { lower = target.lowerBound - Self.margin }
                    if upper - target.upperBound > Self.margin { upper = target.upperBound + Self.margin }
                    let defaults = sections.last { $0.start <= sentence.lowerBound }?.defaults ?? [:]
                    return judge(bytes, sentence: lower..<upper, target: target, defaults: defaults)
                }
            }
        }
    }

    /// Sections of a note: where each heading at a line start begins, and the kinds its section
    /// rules set (an unknown heading resets them).
    func sectionDefaults(_ bytes: UnsafeBufferPointer<UInt8>) -> [(start: Int, defaults: [ContextRule.Kind: String])] {
        var result: [(start: Int, defaults: [ContextRule.Kind: String])] = []
        let n = bytes.count
        var lineStart = 0
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n && bytes[lineEnd] != 10 { lineEnd += 1 }
            var s = lineStart
            while s < lineEnd && TextScanner.isSpace(bytes[s]) { s += 1 }
            // A heading: up to 48 bytes of words ending in ':' (no sentence end inside).
            var e = s
            while e < lineEnd && e - s < 48 && bytes[e] != 58 && bytes[e] != 46 { e += 1 }
            if e < lineEnd && bytes[e] == 58 && e > s && bytes[s] >= 97 && bytes[s] <= 122 {
                tokens.removeAll(keepingCapacity: true)
                TextScanner.tokenize(bytes, s..<(e + 1), into: &tokens)
                rules.phraseIndex.findMatches(tokens, bytes, into: &matches)
                var defaults: [ContextRule.Kind: String] = [:]
                for m in matches {
                    let phrase = rules.phraseIndex.phrases[Int(m.phrase)]
                    if case .trigger(let kind, .section) = phrase.role, m.end < tokens.count, isColon(tokens[m.end]) {
                        defaults[kind] = phrase.ruleId
                    }
                }
                result.append((s, defaults))
            }
            lineStart = lineEnd + 1
        }
        return result
    }

    // MARK: Judging

    @inline(__always) private func isColon(_ t: Token) -> Bool { !t.isWord && t.hash == TextScanner.mix(TextScanner.hashBasis, 58) }

    /// The attributes of `target` (absolute byte offsets) in `bytes[sentence]`; `defaults` are the
    /// section's kinds (with their rule ids), used for an attribute no trigger decides.
    func judge(_ bytes: UnsafeBufferPointer<UInt8>, sentence: Range<Int>, target: Range<Int>,
               defaults: [ContextRule.Kind: String]) -> MentionAttributes {
        var result = MentionAttributes()
        tokens.removeAll(keepingCapacity: true)
        let clipped = max(sentence.lowerBound, 0)..<min(max(sentence.upperBound, sentence.lowerBound), bytes.count)
        TextScanner.tokenize(bytes, clipped, into: &tokens)
        var span: Range<Int>?
        if let first = tokens.firstIndex(where: { Int($0.end) > target.lowerBound }),
           let last = tokens.lastIndex(where: { Int($0.start) < target.upperBound }), first <= last {
            span = first..<(last + 1)
        }
        if span != nil { rules.phraseIndex.findMatches(tokens, bytes, into: &matches) } else { matches.removeAll() }
        // Terminators by token, with the kinds they end (`;` and `:` are terminators of the rule file).
        var terminators: [(at: Int, kinds: ContextKinds)] = []
        for m in matches {
            if case .terminator(let kinds) = rules.phraseIndex.phrases[Int(m.phrase)].role { terminators.append((m.start, kinds)) }
        }

        for kinds in Self.attributes {
            var decided: Trigger?
            if let span { decided = decide(kinds, span: span, terminators: terminators) }
            let kind: ContextRule.Kind
            if let decided {
                kind = decided.kind
                result.ruleIds.append(decided.ruleId)
            } else if let k = kinds.first(where: { defaults[$0] != nil }), let id = defaults[k] {
                kind = k
                result.ruleIds.append(id)
            } else {
                continue
            }
            switch kind {
            case .negation: result.negated = true
            case .uncertainty: result.uncertain = true
            case .historical: result.historical = true
            case .hypothetical: result.hypothetical = true
            case .family: result.experiencer = .family
            case .other: result.experiencer = .other
            }
        }
        return result
    }

    /// The trigger of `kinds` that decides the mention at token `span`, if any.
    private func decide(_ kinds: [ContextRule.Kind], span: Range<Int>, terminators: [(at: Int, kinds: ContextKinds)]) -> Trigger? {
        var mask: ContextKinds = []
        for k in kinds { mask.insert(ContextKinds(k)) }
        // Candidates of this attribute, longest first; a pseudo-trigger takes its span from them.
        candidates.removeAll(keepingCapacity: true)
        for m in matches {
            let phrase = rules.phraseIndex.phrases[Int(m.phrase)]
            switch phrase.role {
            case .trigger(let kind, let direction) where kinds.contains(kind):
                // A section phrase that is not a heading (no `:` after it) is not a trigger at all.
                if direction == .section && !(m.end < tokens.count && isColon(tokens[m.end])) { continue }
                candidates.append((m, phrase))
            case .pseudo(let k) where !k.isDisjoint(with: mask): candidates.append((m, phrase))
            default: break
            }
        }
        candidates.sort { ($0.match.end - $0.match.start, -$0.match.start) > ($1.match.end - $1.match.start, -$1.match.start) }
        var taken: [Range<Int>] = []
        var bestInside: Trigger?, bestPre: Trigger?, bestPost: Trigger?
        for (m, phrase) in candidates {
            let range = m.start..<m.end
            if taken.contains(where: { $0.overlaps(range) && $0 != range }) { continue }
            taken.append(range)
            guard case .trigger(let kind, let direction) = phrase.role else { continue }
            let t = Trigger(start: m.start, end: m.end, kind: kind, direction: direction, window: phrase.window, ruleId: phrase.ruleId)
            func blocked(_ a: Int, _ b: Int) -> Bool {
                terminators.contains { $0.at >= a && $0.at < b && !$0.kinds.isDisjoint(with: ContextKinds(kind)) }
            }
            func words(_ a: Int, _ b: Int) -> Int {
                var count = 0
                for k in a..<b where tokens[k].isWord { count += 1 }
                return count
            }
            switch direction {
            case .section:
                // A heading: the trigger is followed by `:`, and no other `:` comes before the mention
                // (a mention that holds its heading, "ALLERGIES: PENICILLIN", is in that section).
                if m.start >= span.lowerBound && m.end <= span.upperBound {
                    if bestInside == nil { bestInside = t }
                    continue
                }
                guard m.end < span.lowerBound else { continue }
                let colonAfter = (m.end + 1..<span.lowerBound).contains { isColon(tokens[$0]) }
                if !colonAfter && t.end > (bestPre?.end ?? -1) { bestPre = t }
            case _ where m.start < span.upperBound && m.end > span.lowerBound:
                // Inside the mention: it places the mention in time or with someone ("STATUS POST
                // CABG"), but a finding written with its own negation ("lungs without edema") is
                // what it says, as NegEx reads a concept (the radiology labeler does the same).
                if bestInside == nil && kind != .negation && kind != .uncertainty { bestInside = t }
            case .pre:
                if m.end <= span.lowerBound && words(m.end, span.lowerBound) <= t.window && !blocked(m.end, span.lowerBound)
                    && t.end > (bestPre?.end ?? -1) { bestPre = t }
            case .post:
                if m.start >= span.upperBound && words(span.upperBound, m.start) <= t.window && !blocked(span.upperBound, m.start)
                    && t.start < (bestPost?.start ?? Int.max) { bestPost = t }
            }
        }
        return bestInside ?? bestPre ?? bestPost
    }

    // MARK: Finding a concept

    /// The byte range of `concept` in `sentence`: case-insensitive, a run of spaces matching any
    /// run of spaces, at word boundaries when possible; the occurrence written in upper case
    /// first (annotation files mark the concept so). Nil when it is not there.
    public static func locate(_ concept: String, in sentence: String) -> Range<Int>? {
        var pattern: [UInt8] = []
        for b in TextScanner.lowered(concept) {
            if TextScanner.isSpace(b) {
                if let last = pattern.last, last != 32 { pattern.append(32) }
            } else {
                pattern.append(b)
            }
        }
        while pattern.last == 32 { pattern.removeLast() }
        guard !pattern.isEmpty else { return nil }
        let original = Array(sentence.utf8)
        let lowered = TextScanner.lowered(sentence)
        var best: (range: Range<Int>, score: Int)?
        var i = 0
        while i < lowered.count {
            var j = i, p = 0
            while p < pattern.count && j < lowered.count {
                if pattern[p] == 32 {
                    guard TextScanner.isSpace(lowered[j]) else { break }
                    while j < lowered.count && TextScanner.isSpace(lowered[j]) { j += 1 }
                    p += 1
                } else if pattern[p] == lowered[j] {
                    p += 1; j += 1
                } else {
                    break
                }
            }
            if p == pattern.count {
                let atStart = i == 0 || !TextScanner.isWordByte(lowered[i - 1])
                let atEnd = j == lowered.count || !TextScanner.isWordByte(lowered[j])
                let upper = !original[i..<j].contains { $0 >= 97 && $0 <= 122 }
                let score = (upper ? 4 : 0) + (atStart && atEnd ? 2 : 0)
                if score > (best?.score ?? -1) { best = (i..<j, score) }
            }
            i += 1
        }
        return best?.range
    }

    /// The longest run of upper-case words (each with two or more letters) in `sentence`: where an
    /// annotation file marks a concept it does not spell out whole. Nil when there is none.
    public static func upperCaseRun(in sentence: String) -> Range<Int>? {
        let bytes = Array(sentence.utf8)
        var best: Range<Int>?
        var runStart: Int?, runEnd = 0
        var i = 0
        func close() {
            if let s = runStart, runEnd - s > (best?.count ?? 0) { best = s..<runEnd }
            runStart = nil
        }
        while i < bytes.count {
            guard TextScanner.isWordByte(bytes[i]) else { i += 1; continue }
            let start = i
            var letters = 0, lower = false
            while i < bytes.count && (TextScanner.isWordByte(bytes[i]) || bytes[i] == 39) {
                if bytes[i] >= 97 && bytes[i] <= 122 { lower = true }
                if TextScanner.isUpper(bytes[i]) { letters += 1 }
                i += 1
            }
            if !lower && letters >= 2 {
                if runStart == nil { runStart = start }
                runEnd = i
            } else if !lower && letters == 0 && runStart != nil {
                continue  // a number inside an upper-case run ("TYPE 2 DIABETES")
            } else {
                close()
            }
        }
        close()
        return best
    }
}
