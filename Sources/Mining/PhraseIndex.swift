/// One match of a phrase: the tokens it covers and which phrase it is.
struct PhraseMatch {
    /// Token index of the first token.
    var start: Int
    /// Token index after the last token.
    var end: Int
    /// Index of the phrase in its `PhraseIndex`.
    var phrase: Int32
}

/// Compiled phrases indexed by their first token: what the `Labeler` and the `ContextAnnotator` match.
struct PhraseIndex: Sendable {
    /// The phrases, in rule-file order.
    let phrases: [Phrase]
    /// First-token hash (and its plural forms) -> phrases that start with it.
    let first: [UInt64: [Int32]]
    /// Phrases whose first token is a prefix pattern, by the first byte of the prefix.
    let prefixFirst: [UInt8: [Int32]]

    /// Indexes `phrases` (none starts with a gap: `RuleSet.compile` rejects that).
    init(_ phrases: [Phrase]) {
        var first: [UInt64: [Int32]] = [:]
        var prefixFirst: [UInt8: [Int32]] = [:]
        for (i, phrase) in phrases.enumerated() {
            switch phrase.tokens.first {
            case .exact(let h, let alternates):
                first[h, default: []].append(Int32(i))
                for a in alternates { first[a, default: []].append(Int32(i)) }
            case .prefix(let stem):
                if let b = stem.first { prefixFirst[b, default: []].append(Int32(i)) }
            case .gap, nil: break
            }
        }
        self.phrases = phrases
        self.first = first
        self.prefixFirst = prefixFirst
    }

    /// Replaces `matches` by every phrase match among `tokens` of the lowercased `bytes`.
    func findMatches(_ tokens: [Token], _ bytes: UnsafeBufferPointer<UInt8>, into matches: inout [PhraseMatch]) {
        matches.removeAll(keepingCapacity: true)
        for start in tokens.indices {
            if let candidates = first[tokens[start].hash] {
                for p in candidates {
                    if let end = match(phrases[Int(p)].tokens, at: start, tokens, bytes) {
                        matches.append(PhraseMatch(start: start, end: end, phrase: p))
                    }
                }
            }
            for p in prefixFirst[bytes[Int(tokens[start].start)]] ?? [] {
                if let end = match(phrases[Int(p)].tokens, at: start, tokens, bytes) {
                    matches.append(PhraseMatch(start: start, end: end, phrase: p))
                }
            }
        }
    }

    /// The token index after a match of `pattern` starting at token `start`, or nil.
    func match(_ pattern: [PatternToken], at start: Int, _ tokens: [Token], _ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        func tokenMatches(_ p: PatternToken, _ t: Token) -> Bool {
            switch p {
            case .exact(let h, let alternates): return t.hash == h || alternates.contains(t.hash)
            case .prefix(let stem):
                let len = Int(t.end - t.start)
                guard len >= stem.count else { return false }
                for k in 0..<stem.count where bytes[Int(t.start) + k] != stem[k] { return false }
                return true
            case .gap: return false
            }
        }
        func rest(_ pi: Int, _ ti: Int) -> Int? {
            if pi == pattern.count { return ti }
            if case .gap(let n) = pattern[pi] {
                var skip = 0
                var t = ti
                while skip <= n && t <= tokens.count {
                    if let r = rest(pi + 1, t) { return r }
                    guard t < tokens.count, tokens[t].isWord else { return nil }
                    t += 1; skip += 1
                }
                return nil
            }
            guard ti < tokens.count, tokenMatches(pattern[pi], tokens[ti]) else { return nil }
            return rest(pi + 1, ti + 1)
        }
        return rest(0, start)
    }
}
