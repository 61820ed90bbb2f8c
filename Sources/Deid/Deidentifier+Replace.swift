import Foundation

/// How identifiers are replaced.
public enum Replacement: String, Sendable, CaseIterable, Codable {
    /// `[**NAME**]`, `[**DATE**]`, ...
    case tag
    /// Realistic surrogates, the same for the same identifier of one patient; dates shifted by one
    /// offset per patient, so intervals are kept.
    case surrogate
}

/// A de-identified note.
public struct DeidResult: Sendable, Codable, Equatable {
    /// What was found, in the original text's Unicode scalars.
    public var spans: [PHISpan]
    /// The text with every span replaced.
    public var text: String
}

extension Deidentifier {
    /// Finds and replaces the identifiers of `text`. Surrogates depend only on `key` (keep it
    /// secret: with it the shift can be undone), the patient and the identifier, so that one
    /// patient's notes agree with each other across runs with the same key and across threads.
    public func deidentify(_ text: String, patient: String, replacement: Replacement, key: UInt64) -> DeidResult {
        let bytes = Array(text.utf8)
        let found = findBytes(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = 0
        let book = Surrogates(rules: rules, patient: patient, key: key)
        for s in found {
            out.append(contentsOf: bytes[at..<s.start])
            let original = String(decoding: bytes[s.start..<s.end], as: UTF8.self)
            switch replacement {
            case .tag: out.append(contentsOf: "[**\(s.type.rawValue)**]".utf8)
            case .surrogate: out.append(contentsOf: book.surrogate(for: original, span: s).utf8)
            }
            at = s.end
        }
        out.append(contentsOf: bytes[at...])
        return DeidResult(spans: Deidentifier.scalarSpans(found, bytes: bytes), text: String(decoding: out, as: UTF8.self))
    }
}

/// Surrogates for one patient, derived by hashing (no state: consistent across notes and threads).
struct Surrogates {
    let rules: DeidRules
    let patient: String
    let key: UInt64

    /// Days every date of this patient moves: -365...-1 or 1...365, never 0.
    var shiftDays: Int {
        let h = hash("shift")
        let magnitude = Int(h % 365) + 1
        return (h >> 32) & 1 == 0 ? magnitude : -magnitude
    }

    func hash(_ parts: String...) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325 ^ key
        for p in [patient] + parts {
            for b in p.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            h = (h ^ 0xFF) &* 0x100000001b3
        }
        // SplitMix64 finaliser: every bit of the input reaches every bit of the output.
        h = (h ^ (h >> 30)) &* 0xbf58476d1ce4e5b9
        h = (h ^ (h >> 27)) &* 0x94d049bb133111eb
        return h ^ (h >> 31)
    }

    func pick(_ list: [String], _ parts: String...) -> String {
        guard !list.isEmpty else { return "" }
        var h: UInt64 = 0
        for p in parts { h ^= hash(p) }
        return list[Int(h % UInt64(list.count))]
    }

    func surrogate(for original: String, span: ByteSpan) -> String {
        let normal = original.uppercased()
        switch span.type {
        case .name: return name(original)
        case .date: return date(original, parts: span.date)
        case .age: return "90"
        case .phone, .ssn, .id, .zip: return digits(original, salt: span.type.rawValue)
        case .email:
            return "\(pick(rules.surrogateFirst, "email-first", normal).lowercased()).\(pick(rules.surrogateLast, "email-last", normal).lowercased())@example.org"
        case .url: return "www.example.org"
        case .ip: let h = hash("ip", normal); return "10.\(h % 256).\((h >> 8) % 256).\((h >> 16) % 254 + 1)"
        case .location:
            if let first = original.unicodeScalars.first, CharacterSet.decimalDigits.contains(first) {
                return styled("\(hash("street", normal) % 900 + 10) \(pick(rules.surrogateLast, "street", normal)) Street", like: original)
            }
            return styled(pick(rules.surrogateCities, "city", normal), like: original)
        case .hospital:
            return styled("\(pick(rules.surrogateLast, "hospital", normal)) Memorial Hospital", like: original)
        }
    }

    /// Upper case when the original is.
    func styled(_ s: String, like original: String) -> String {
        let letters = original.unicodeScalars.filter { CharacterSet.letters.contains($0) }
        let upper = !letters.isEmpty && letters.allSatisfy { CharacterSet.uppercaseLetters.contains($0) }
        return upper ? s.uppercased() : s
    }

    /// Each word of a name by its own surrogate (first names by first names), so "ROSE" is the same
    /// person in "ROSE HOLLOWAY" and in "ROSE".
    func name(_ original: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            guard !word.isEmpty else { return }
            let normal = word.uppercased()
            if word.count == 1 {
                let letters = Array("ABCDEFGHJKLMNPRSTW")
                out.append(letters[Int(hash("initial", normal) % UInt64(letters.count))])
            } else {
                let isFirst = rules.firstNames.contains(Tokens.key(normal)) && !rules.lastNames.contains(Tokens.key(normal))
                out += styled(pick(isFirst ? rules.surrogateFirst : rules.surrogateLast, "name", normal), like: word)
            }
            word = ""
        }
        for ch in original {
            if ch.isLetter || ch == "'" { word.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        return out
    }

    /// Every digit replaced, the punctuation kept: 617-555-0123 -> 408-217-9931.
    func digits(_ original: String, salt: String) -> String {
        var h = hash("digits", salt, original)
        var out = ""
        for ch in original {
            if ch.isASCII, ch.isNumber {
                out.append(Character(String(h % 10)))
                h = h / 10 == 0 ? hash("more", salt, original, out) : h / 10
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                             "September", "October", "November", "December"]

    /// The date moved by the patient's shift and written in its original form.
    func date(_ original: String, parts: DateParts?) -> String {
        guard let parts else { return original.isEmpty ? original : "[**DATE**]" }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        // Without a year the shift is made in a year that is not a leap year.
        let year = parts.year ?? 2001
        let day = parts.day ?? 15
        guard let base = calendar.date(from: DateComponents(year: year, month: parts.month, day: day)),
              let moved = calendar.date(byAdding: .day, value: shiftDays, to: base) else { return "[**DATE**]" }
        let c = calendar.dateComponents([.year, .month, .day], from: moved)
        let newYear = parts.year != nil ? (c.year ?? year) : nil
        let newMonth = c.month ?? parts.month
        let newDay = parts.day != nil ? (c.day ?? day) : nil
        return render(original, year: newYear, month: newMonth, day: newDay)
    }

    /// Replaces the numbers and the month word of `original` in order, keeping widths and case.
    func render(_ original: String, year: Int?, month: Int, day: Int?) -> String {
        var pieces: [String] = []  // runs of digits, of letters, and of anything else
        var current = ""
        var kind = 0
        for ch in original {
            let k = ch.isASCII && ch.isNumber ? 1 : (ch.isLetter ? 2 : 3)
            if k != kind, !current.isEmpty { pieces.append(current); current = "" }
            kind = k
            current.append(ch)
        }
        if !current.isEmpty { pieces.append(current) }
        let numbers = pieces.filter { $0.first?.isNumber == true && $0.first?.isASCII == true }
        let hasMonthWord = pieces.contains { Surrogates.monthIndex($0) != nil }
        // The order of the numbers: y-m-d when the first has 4 digits, else m-d-y or d (month word) y.
        var values: [Int?] = []
        if hasMonthWord {
            values = numbers.map { $0.count == 4 ? year : day }
        } else if numbers.first?.count == 4 {
            values = [year, month, day]
        } else {
            values = [month, day, year]
        }
        var out = ""
        var n = 0
        var lastNumber: String?
        for piece in pieces {
            if piece.first?.isNumber == true, piece.first?.isASCII == true {
                let v = n < values.count ? values[n] : nil
                n += 1
                guard let v else { out += piece; continue }
                let width = piece.count
                var s = String(width == 2 && v >= 100 ? v % 100 : v)
                if s.count < width { s = String(repeating: "0", count: width - s.count) + s }
                out += s
                lastNumber = s
            } else if let m = Surrogates.monthIndex(piece) {
                _ = m
                let full = Surrogates.monthNames[month - 1]
                var word = piece.count > 3 && piece.lowercased() != "sept" ? full : String(full.prefix(3))
                if piece == piece.uppercased() { word = word.uppercased() } else if piece == piece.lowercased() { word = word.lowercased() }
                out += word
            } else if let last = lastNumber, ["st", "nd", "rd", "th"].contains(piece.lowercased()), let v = Int(last) {
                let suffix = (11...13).contains(v % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][v % 10] ?? "th"
                out += piece == piece.uppercased() ? suffix.uppercased() : suffix
            } else {
                out += piece
            }
        }
        return out
    }

    static func monthIndex(_ word: String) -> Int? {
        let w = word.lowercased()
        guard w.count >= 3 else { return nil }
        for (i, name) in monthNames.enumerated() {
            let n = name.lowercased()
            if w == n || w == String(n.prefix(3)) || (i == 8 && w == "sept") { return i + 1 }
        }
        return nil
    }
}
