/// The detectors of one pass (`Scan`): numbers, dates, contexts, places, names.
extension Scan {
    // MARK: - numbers: SSN, telephone, long identifiers

    mutating func numbers(at i: Int) {
        guard t[i].kind == .number else {
            if t[i].kind == .alnum { alnumIdentifier(at: i) }
            return
        }
        let d = t.digits(i)
        func sep(_ k: Int, _ bytes: [UInt8]) -> Bool {
            guard let p = t.punct(k), bytes.contains(p) else { return false }
            return t.adjacent(k - 1) && t.adjacent(k)
        }
        let partOfLonger = (t.punct(i - 1).map { [0x2D, 0x2F, 0x2E].contains($0) } ?? false) && t.adjacent(i - 2) && t.adjacent(i - 1)
            && (i >= 2 && t[i - 2].kind == .number)
        if partOfLonger { return }
        // 123-45-6789
        if d == 3, sep(i + 1, [0x2D]), t.digits(i + 2) == 2, sep(i + 3, [0x2D]), t.digits(i + 4) == 4 {
            add(i, i + 4, .ssn, 8)
            return
        }
        // (617) 555-0123
        if d == 3, t.punct(i - 1) == 0x28, t.punct(i + 1) == 0x29, t.digits(i + 2) == 3,
           sep(i + 3, [0x2D, 0x2E]), t.digits(i + 4) == 4 {
            add(i - 1, phoneExtension(after: i + 4), .phone, 8)
            return
        }
        // 1-617-555-0123, 617-555-0123, 617.555.0123
        var s = i
        if d == 1, t.number(i) == 1, sep(i + 1, [0x2D, 0x2E]), t.digits(i + 2) == 3 { s = i + 2 }
        if t.digits(s) == 3, sep(s + 1, [0x2D, 0x2E]), t.digits(s + 2) == 3, sep(s + 3, [0x2D, 0x2E]), t.digits(s + 4) == 4 {
            add(i, phoneExtension(after: s + 4), .phone, 8)
            return
        }
        // 555-0123 (a local number); not a range of numbers such as "120-1234"
        let phoneCued = (max(0, i - 4)..<i).contains { phrase(.phoneCue, at: $0) != nil } || (i > 0 && t.lower(i - 1) == "at")
        if d == 3, phoneCued, sep(i + 1, [0x2D]), t.digits(i + 2) == 4, !(t.punct(i + 3) == 0x2D && t.adjacent(i + 2)) {
            add(i, phoneExtension(after: i + 2), .phone, 6)
            return
        }
        if d >= 7 {
            add(i, i, .id, 3)
        }
    }

    /// A telephone number's extension after token `end` ("x1234", "ext 12"): the last token of the number.
    func phoneExtension(after end: Int) -> Int {
        let j = end + 1
        guard j < t.count else { return end }
        if t[j].kind == .alnum, t.bytes[t[j].start] | 0x20 == 0x78, t[j].end - t[j].start <= 7,
           (t[j].start + 1..<t[j].end).allSatisfy({ Tokens.isDigit(t.bytes[$0]) }) { return j }
        if t[j].kind == .word, ["x", "ext"].contains(t.lower(j)) {
            let k = t.punct(j + 1) == 0x2E ? j + 2 : j + 1
            if t.number(k) != nil, t.digits(k) <= 6 { return k }
        }
        return end
    }

    /// A word with five digits or more ("A1234567", "MR12345678") is an identifier.
    mutating func alnumIdentifier(at i: Int) {
        var digits = 0
        var dimension = false
        for k in t[i].start..<t[i].end {
            let b = t.bytes[k]
            if Tokens.isDigit(b) { digits += 1 }
            // 58X109, 20x16x13mm: sizes, not identifiers.
            if b | 0x20 == 0x78, k > t[i].start, k + 1 < t[i].end, Tokens.isDigit(t.bytes[k - 1]), Tokens.isDigit(t.bytes[k + 1]) { dimension = true }
        }
        if digits >= 6, !dimension { add(i, i, .id, 3) }
    }

    // MARK: - dates

    mutating func dates(at i: Int) {
        if t[i].kind == .number { numericDate(at: i); return }
        if t[i].kind == .word, let month = rules.months[t[i].key] { monthDate(at: i, month: month); return }
        if let e = rules.phrases[.holiday].flatMap({ _ in phrase(.holiday, at: i) }) { add(i, e - 1, .date, 6) }
    }

    func year(_ k: Int) -> Int? {
        guard let y = t.number(k) else { return nil }
        if t.digits(k) == 4, (1000...2999).contains(y) { return y }
        if t.digits(k) == 2 { return y < 50 ? 2000 + y : 1900 + y }
        return nil
    }

    mutating func numericDate(at i: Int) {
        func joined(_ k: Int, _ b: UInt8) -> Bool { t.punct(k) == b && t.adjacent(k - 1) && t.adjacent(k) }
        guard let a = t.number(i) else { return }
        // Not the middle of a longer run of numbers ("5/5/5", "120/80/60").
        if i >= 2, let p = t.punct(i - 1), [0x2F, 0x2D, 0x2E].contains(p), t.adjacent(i - 2), t.adjacent(i - 1),
           t[i - 2].kind == .number { return }
        // 2093-07-22, 2093/07/22
        if t.digits(i) == 4, let y = year(i), let sepByte = t.punct(i + 1), [0x2D, 0x2F].contains(sepByte), joined(i + 1, sepByte),
           let m = t.number(i + 2), (1...12).contains(m), joined(i + 3, sepByte), let d = t.number(i + 4), (1...31).contains(d) {
            add(i, i + 4, .date, 6, date: DateParts(year: y, month: m, day: d))
            return
        }
        guard t.digits(i) <= 2, (1...12).contains(a), let sepByte = t.punct(i + 1), [0x2F, 0x2D, 0x2E].contains(sepByte),
              joined(i + 1, sepByte), t.digits(i + 2) <= 2, let d = t.number(i + 2), (1...31).contains(d) else { return }
        // With a year: 7/22/93, 7-22-2093, 7.22.93
        if joined(i + 3, sepByte), let y = year(i + 4) {
            if joined(i + 5, sepByte) || (t.punct(i + 5) == 0x2F && t.number(i + 6) != nil) { return }
            add(i, i + 4, .date, 6, date: DateParts(year: y, month: a, day: d))
            return
        }
        guard sepByte == 0x2F else { return }  // "7-22" is a range, "7.22" a number
        if t.punct(i + 3) == 0x2F, t.adjacent(i + 2) { return }  // 1/2/3 with no year
        // Without a year: not after "BP", not before "murmur"; a small day needs a cue ("on 1/2").
        let before = i - 1
        if let p = t.punct(before), p == 0x3C || p == 0x3E { return }  // "<1/10": a measure
        if before >= 0, t[before].kind != .punct, rules.has(.notDateBefore, t[before].key) { return }
        if before >= 0, let start = phraseEnding(.notDateBefore, before: i), start >= 0 { return }
        var after = i + 3
        if t.punct(after) == 0x2E { after += 1 }
        if after < t.count, phrase(.notDateAfter, at: after) != nil || t.punct(i + 3) == 0x25 { return }
        let cued = (max(0, i - 3)..<i).contains { phrase(.dateCue, at: $0) != nil }
        // Proper fractions with small denominators and tenths are fractions, grades and scales
        // ("1/2", "2/6", "5/5", "4/10"); "7/2" is a date.
        if (d <= 6 && a <= d) || (d == 10 && a <= 10), !cued { return }
        add(i, i + 2, .date, cued ? 6 : 5, date: DateParts(year: nil, month: a, day: d))
    }

    /// A day of the month written as a number or "22nd".
    func day(_ k: Int) -> Int? {
        guard k < t.count else { return nil }
        if t[k].kind == .number, t.digits(k) <= 2, let v = t.number(k), (1...31).contains(v) { return v }
        if t[k].kind == .alnum {
            let s = t.lower(k)
            for suffix in ["st", "nd", "rd", "th"] where s.hasSuffix(suffix) {
                if let v = Int(s.dropLast(2)), (1...31).contains(v) { return v }
            }
        }
        return nil
    }

    mutating func monthDate(at i: Int, month: Int) {
        // "may" and "mar" are words first: a date only with a day or a year.
        let word = t.lower(i)
        let fullName = word.count >= 5 || ["june", "july"].contains(word)
        if !caseless, !t[i].capital { return }
        var j = i + 1
        if t.punct(j) == 0x2E { j += 1 }
        // July 22[nd][, 2093]
        if let d = day(j), !(j + 1 < t.count && phrase(.notDateAfter, at: j + 1) != nil) {
            var end = j
            var k = j + 1
            if t.punct(k) == 0x2C { k += 1 }
            var y: Int?
            if t.digits(k) == 4, let yy = year(k) { end = k; y = yy }
            add(i, end, .date, 6, date: DateParts(year: y, month: month, day: d))
            return
        }
        // 22[nd] [of] July [2093]
        var b = i - 1
        if b >= 0, t.lower(b) == "of" { b -= 1 }
        if b >= 0, !taken[b], let d = day(b) {
            var end = i
            var k2 = j
            if t.punct(k2) == 0x2C { k2 += 1 }
            var y: Int?
            if t.digits(k2) == 4, let yy = year(k2) { end = k2; y = yy }
            add(b, end, .date, 6, date: DateParts(year: y, month: month, day: d))
            return
        }
        // July 2093, July, 2093
        var k = j
        if t.punct(k) == 0x2C { k += 1 }
        if t.digits(k) == 4, let y = year(k) {
            add(i, k, .date, 6, date: DateParts(year: y, month: month, day: nil))
            return
        }
        if fullName, !["may", "march", "august"].contains(word) {
            add(i, i, .date, 4, date: DateParts(year: nil, month: month, day: nil))
        }
    }

    // MARK: - contexts: titles, suffixes, cues, identifiers, telephones, ages, facilities

    /// A word that may be part of a name after a title or before a suffix.
    func nameLike(_ k: Int) -> Bool {
        guard k >= 0, k < t.count, t[k].kind == .word else { return false }
        if !caseless, !t[k].capital { return false }
        if t[k].end - t[k].start == 1 { return true }  // an initial
        let key = possessiveKey(k)
        if rules.has(.notName, key) || rules.has(.cue, key) || rules.has(.title, key) { return false }
        return rules.isName(key) || !rules.clinicalWords.contains(key)
    }

    /// The key of a word without a trailing "'s".
    func possessiveKey(_ k: Int) -> UInt64 {
        let s = t[k].start, e = t[k].end
        if e - s > 3, t.bytes[e - 2] == 0x27, t.bytes[e - 1] | 0x20 == 0x73 {
            var h = Tokens.offset
            for b in t.bytes[s..<(e - 2)] { h = Tokens.step(h, b) }
            return h
        }
        return t[k].key
    }

    mutating func contexts(at i: Int) {
        let strongTitle = phrase(.title, at: i)
        // "MR" and "MS" are also mitral regurgitation and morphine: in capitals only before a known name.
        let weakTitle = strongTitle == nil ? phrase(.weakTitle, at: i) : nil
        if let title = strongTitle ?? weakTitle {
            let e = t.punct(title) == 0x2E ? title + 1 : title
            let known = e < t.count && t[e].kind == .word && rules.isName(possessiveKey(e)) && !eponym(e)
            var j = e
            var last: Int?
            var words = 0
            while j < t.count, words < 3, !(t[j].newlineBefore && words > 0) {
                // The first word whatever it is ("Dr. Xu"); then initials and names that are no words.
                let more = words == 0 || isInitial(j) || (rules.isName(possessiveKey(j)) && !rules.clinicalWords.contains(possessiveKey(j)))
                guard more, nameLike(j) else { break }
                last = j
                words += 1
                j += 1
                if t.punct(j) == 0x2E, t[j - 1].end - t[j - 1].start == 1 { j += 1 }
            }
            if let last, strongTitle != nil || !caseless || known { add(e, last, .name, 8) }
        }
        if let e = phrase(.suffix, at: i), i > 0 {
            var j = i - 1
            if t.punct(j) == 0x2C { j -= 1 }
            var first: Int?
            var strong = false
            var words = 0
            while j >= 0, words < 4 {
                if t.punct(j) == 0x2E, j > 0, t[j - 1].end - t[j - 1].start == 1 { j -= 1; continue }
                guard nameLike(j), !t[j + 1 < t.count ? j + 1 : j].newlineBefore || j == i - 1 || first == nil else { break }
                let key = possessiveKey(j)
                if rules.isName(key) || (t[j].end - t[j].start > 1 && !rules.clinicalWords.contains(key)) { strong = true }
                first = j
                words += 1
                j -= 1
            }
            if let first, strong, (t[i].upper || !caseless || true), e > i {
                var last = i - 1
                if t.punct(last) == 0x2C { last -= 1 }
                add(first, last, .name, 7)
            }
        }
        if let e = phrase(.cue, at: i) {
            var j = skip(from: e, [0x28, 0x2C, 0x3A, 0x2D])
            // "HCP IS NIECE KATHLEEN": cues in a row lead to the name.
            var hops = 0
            while j < t.count, hops < 3 {
                if ["is", "named"].contains(t.lower(j)) { j += 1; hops += 1; continue }
                if let next = phrase(.cue, at: j) { j = skip(from: next, [0x28, 0x2C, 0x3A, 0x2D]); hops += 1; continue }
                break
            }
            if j < t.count, t[j].kind == .word, t[j].end - t[j].start > 1 {
                let key = possessiveKey(j)
                // In capitals a word such as "ROSE" or "MARK" is a name after a cue only if it is a first name.
                let capitalOK = caseless
                    ? !rules.has(.verb, key) && (!rules.clinicalWords.contains(key) || (rules.firstNames.contains(key) && t[j].end - t[j].start >= 3))
                    : t[j].capital
                if rules.isName(key), capitalOK, !rules.has(.notName, key), !eponym(j) { add(j, j, .name, 7) }
            }
        }
        if let e = phrase(.idCue, at: i) {
            var j = skip(from: e, [0x3A, 0x23, 0x2D])
            // "MRN #", "Medicare number on file:", "account no."
            var words = 0
            while j < t.count, words < 3, ["no", "number", "is", "num", "on", "file", "id", "nr"].contains(t.lower(j)) {
                j = skip(from: j + 1, [0x3A, 0x23, 0x2E])
                words += 1
            }
            if let end = codeRun(from: j, minDigits: 4) { add(j, end, .id, 8) }
        }
        if let e = phrase(.phoneCue, at: i) {
            let j = skip(from: e, [0x3A, 0x23, 0x2D, 0x28])
            if let end = codeRun(from: j, minDigits: 5, numbersOnly: true) {
                let start = t.punct(j - 1) == 0x28 ? j - 1 : j
                add(start, phoneExtension(after: end), .phone, 7)
            }
        }
        if t[i].kind == .number, let v = t.number(i), (90...130).contains(v), t.digits(i) <= 3 {
            var j = i + 1
            if t.punct(j) == 0x2D { j += 1 }
            if phrase(.ageAfter, at: j) != nil { add(i, i, .age, 8) }
            else if phraseEnding(.ageBefore, before: i) != nil || (t.punct(i - 1) == 0x3A && phraseEnding(.ageBefore, before: i - 1) != nil) {
                add(i, i, .age, 8)
            }
        }
        if t[i].kind == .alnum { ageWord(at: i) }
        if let e = phrase(.hospital, at: i), !taken[i] {
            let short = e == i + 1 && t[i].end - t[i].start <= 3
            if !short || t[i].upper { add(i, e - 1, .hospital, 7) }
        }
        if let e = phrase(.facility, at: i) { facility(suffix: i, end: e) }
        // "ST. ELIZABETH'S", "SAINT VINCENT": a saint's name is a hospital's in notes ("ST ELEVATION" is not a name).
        if let s = phrase(.saint, at: i), caseless || t[i].capital {
            let j = t.punct(s) == 0x2E ? s + 1 : s
            if j < t.count, t[j].kind == .word, !t[j].newlineBefore, caseless || t[j].capital,
               rules.firstNames.contains(possessiveKey(j)) || rules.lastNames.contains(possessiveKey(j)) && !rules.clinicalWords.contains(possessiveKey(j)) {
                add(i, j, .hospital, 6)
            }
        }
    }

    /// "93yo", "93YOM", "93y": the digits are an age when the letters are an `age-after` word.
    mutating func ageWord(at i: Int) {
        var k = t[i].start
        var v = 0
        while k < t[i].end, Tokens.isDigit(t.bytes[k]), v < 1000 { v = v * 10 + Int(t.bytes[k] - 0x30); k += 1 }
        guard k > t[i].start, k < t[i].end, (90...130).contains(v) else { return }
        var h = Tokens.offset
        for b in t.bytes[k..<t[i].end] { h = Tokens.step(h, b) }
        if rules.has(.ageAfter, h) {
            spans.append(ByteSpan(start: t[i].start, end: k, type: .age, strength: 8))
            taken[i] = true
        }
    }

    /// Tokens from `j` that form one code ("0981234", "PRX-998812", "617-555-0123"): the last one,
    /// when they hold at least `minDigits` digits.
    func codeRun(from j: Int, minDigits: Int, numbersOnly: Bool = false) -> Int? {
        guard j < t.count, t[j].kind != .punct else { return nil }
        var k = j
        var digits = 0
        var last = j
        while k < t.count {
            if t[k].kind == .punct {
                guard let p = t.punct(k), [0x2D, 0x2E, 0x2F, 0x29].contains(p), t.adjacent(k - 1), t.adjacent(k),
                      k + 1 < t.count, t[k + 1].kind != .punct else { break }
                k += 1
                continue
            }
            if k > j, !t.adjacent(k - 1) {
                // "617 555 0123": numbers separated by single spaces continue a telephone number.
                guard numbersOnly, t[k].kind == .number, t[k - 1].kind == .number, t[k].start - t[k - 1].end == 1 else { break }
            }
            if numbersOnly, t[k].kind != .number { break }
            for b in t.bytes[t[k].start..<t[k].end] where Tokens.isDigit(b) { digits += 1 }
            last = k
            k += 1
        }
        return digits >= minDigits ? last : nil
    }

    mutating func facility(suffix i: Int, end e: Int) {
        var j = i - 1
        var first: Int?
        var named = false
        var words = 0
        while j >= 0, words < 4, !t[j + 1].newlineBefore || j + 1 == i && !t[i].newlineBefore {
            if t.punct(j) == 0x2E, j > 0, t[j - 1].kind == .word { j -= 1; continue }
            guard t[j].kind == .word, caseless || t[j].capital else { break }
            let key = possessiveKey(j)
            if rules.has(.notFacility, key) { break }
            if rules.has(.facilityWord, key) {
                first = j
            } else if !rules.clinicalWords.contains(key) {
                first = j
                named = true
            } else {
                break
            }
            words += 1
            j -= 1
        }
        if let first, named { add(first, e - 1, .hospital, 6) }
    }

    // MARK: - places: streets, cities, ZIP codes

    mutating func places(at i: Int) {
        if t[i].kind == .number, t.digits(i) <= 5 {
            var j = i + 1
            var words = 0
            while j < t.count, words < 4, t[j].kind == .word, !t[j].newlineBefore, caseless || t[j].capital {
                if let e = phrase(.street, at: j), words > 0 {
                    add(i, e - 1, .location, 6)
                    return
                }
                let key = t[j].key
                guard rules.isName(key) || rules.cities[key] != nil || !rules.clinicalWords.contains(key)
                        || rules.has(.facilityWord, key) else { break }
                words += 1
                j += 1
            }
            if t.digits(i) == 5, zipContext(before: i) {
                var end = i
                if t.punct(i + 1) == 0x2D, t.adjacent(i), t.digits(i + 2) == 4 { end = i + 2 }
                add(i, end, .zip, 7)
                return
            }
        }
        guard t[i].kind == .word, caseless || t[i].capital, let candidates = rules.cities[t[i].key] else { return }
        var best: Int?
        for c in candidates {
            var k = 0
            while k < c.count, i + k < t.count, t[i + k].key == c[k], !(k > 0 && t[i + k].newlineBefore) { k += 1 }
            if k == c.count, best.map({ k > $0 }) ?? true { best = k }
        }
        guard let n = best else { return }
        let end = i + n - 1
        let key = t[i].key
        let ambiguous = n == 1 && (rules.clinicalWords.contains(key) || rules.isName(key) || t[i].end - t[i].start <= 3)
        let cued = phraseEnding(.locationCue, before: i) != nil
        if n == 1, rules.stateNames[key] != nil || rules.countries.contains(key) { return }
        let code = end + 2 < t.count && rules.stateCodes.contains(t[end + 2].key) && t[end + 2].upper
            && t[end + 2].end - t[end + 2].start == 2 && (!caseless || t.digits(end + 3) == 5)
        let stateAfter = t.punct(end + 1) == 0x2C && end + 2 < t.count && (code || rules.stateNames[t[end + 2].key] != nil)
        if !ambiguous || cued || stateAfter { add(i, end, .location, cued || stateAfter ? 7 : 5) }
    }

    /// A state's name or postal code just before token `i` ("MA 02115", "Massachusetts, 02115").
    func zipContext(before i: Int) -> Bool {
        var j = i - 1
        if t.punct(j) == 0x2C { j -= 1 }
        guard j >= 0, t[j].kind == .word else { return false }
        if rules.stateCodes.contains(t[j].key), t[j].upper, t[j].end - t[j].start == 2 { return true }
        return rules.stateNameEnds.contains(t[j].key)  // the last word of a state's name
    }

    // MARK: - names from the lexicons

    mutating func lexiconName(at i: Int) {
        guard t[i].kind == .word, caseless || t[i].capital else { return }
        let length = t[i].end - t[i].start
        guard length >= 3 else { return }
        let key = possessiveKey(i)
        if rules.has(.notName, key) || rules.clinicalWords.contains(key) || rules.countries.contains(key) { return }
        if isStateName(i) || eponym(i) { return }
        if !caseless, t[i].upper, length <= 4 { return }  // an abbreviation in a mixed-case note
        if rules.isName(key) || hyphenatedName(i) { add(i, i, .name, 4) }
    }

    /// A name before an eponym's noun ("Jackson-Pratt drain", "Mayo scissors", "Langer's lines") names a thing.
    func eponym(_ i: Int) -> Bool {
        var j = i + 1
        if j < t.count, t.punct(j) == 0x27 { j += 1 }
        while j < t.count, t[j].kind == .word, rules.isName(t[j].key), !rules.clinicalWords.contains(t[j].key), j - i < 3,
              !rules.has(.eponymNoun, t[j].key) { j += 1 }  // "Bard Parker blade"
        guard j < t.count, t[j].kind == .word, !t[j].newlineBefore else { return false }
        return rules.has(.eponymNoun, possessiveKey(j)) || rules.has(.eponymNoun, t[j].key)
    }

    /// A state's one-word name (not an identifier under Safe Harbor).
    func isStateName(_ i: Int) -> Bool {
        guard let names = rules.stateNames[t[i].key] else { return false }
        return names.contains { $0.count == 1 }
    }

    /// "Smith-Jones": every part a name.
    func hyphenatedName(_ i: Int) -> Bool {
        let b = t.bytes[t[i].start..<t[i].end]
        guard b.contains(0x2D) else { return false }
        let parts = b.split(separator: 0x2D)
        return parts.count > 1 && parts.allSatisfy { part in
            var h = Tokens.offset
            for c in part { h = Tokens.step(h, c) }
            return rules.isName(h) && !rules.clinicalWords.contains(h)
        }
    }

    /// Names grow over the name words and initials next to them ("ROSE HOLLOWAY", "J. SMITH").
    mutating func extendNames() {
        guard spans.contains(where: { $0.type == .name }) else { return }
        var changed = true
        var rounds = 0
        while changed, rounds < 4 {
            changed = false
            rounds += 1
            for s in spans.indices where spans[s].type == .name {
                guard var first = t.index(startingAt: spans[s].start) else { continue }
                var last = first
                while last + 1 < t.count, t[last + 1].start < spans[s].end { last += 1 }
                // To the left: a first name or an initial.
                var k = first - 1
                if t.punct(k) == 0x2E, k > 0, t[k - 1].end - t[k - 1].start == 1 { k -= 1 }
                if k >= 0, !t[first].newlineBefore, !taken[k] || isInitial(k), extendable(k, left: true) {
                    first = k
                }
                // To the right: a surname or an initial.
                var r = last + 1
                if r < t.count, !t[r].newlineBefore, !taken[r], extendable(r, left: false) {
                    if t.punct(r + 1) == 0x2E, t[r].end - t[r].start == 1 { r += 1 }
                    last = r
                }
                if t[first].start < spans[s].start || t[last].end > spans[s].end {
                    spans[s].start = min(spans[s].start, t[first].start)
                    spans[s].end = max(spans[s].end, t[last].end)
                    for m in first...last { taken[m] = true }
                    changed = true
                }
            }
        }
    }

    func isInitial(_ k: Int) -> Bool { t[k].kind == .word && t[k].end - t[k].start == 1 && t[k].start < t.bytes.count }

    func extendable(_ k: Int, left: Bool) -> Bool {
        guard t[k].kind == .word, caseless || t[k].capital else { return false }
        if isInitial(k) {
            // "A" and "I" are words first.
            let b = t.bytes[t[k].start] | 0x20
            return b != 0x61 && b != 0x69 || t.punct(k + 1) == 0x2E
        }
        let key = possessiveKey(k)
        if rules.has(.notName, key) || rules.has(.verb, key) { return false }
        if rules.has(.title, key) || rules.has(.cue, key) || rules.has(.suffix, key) { return false }
        if left {
            if rules.countries.contains(key) { return false }
            if rules.clinicalWords.contains(key) { return rules.firstNames.contains(key) && t[k].end - t[k].start >= 3 && (!caseless || !rules.has(.verb, key)) }
            return rules.isName(key)
        }
        // A capital in a mixed-case note is a strong sign; in capitals only a surname that is no word.
        return rules.lastNames.contains(key) && (!caseless || !rules.clinicalWords.contains(key))
    }
}
