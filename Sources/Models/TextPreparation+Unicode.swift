import Foundation

/// What another implementation of `TextPreparation.tokens(of:)` (the offline JavaScript runtime of
/// `triage export web`) needs to cut and fold text exactly as this one does, measured from this
/// process's own Foundation and Unicode tables rather than restated: a browser's Unicode version
/// and its string folding differ from Swift's, these tables do not.
///
/// `String.folding([.caseInsensitive, .diacriticInsensitive, .widthInsensitive])` works on
/// character clusters (a character and the combining marks after it). The runtime rebuilds it from:
/// - `fold`: what folding makes of each scalar alone (only the scalars it changes);
/// - `nonbase`: the marks a cluster takes after its character (each `m` with fold("a" + m) == "a");
/// - `kept`: what such a mark becomes when a cluster keeps it (after a character at or above
///   U+0510: decomposed, not folded), where that is not the mark itself;
/// - `ccc`: canonical combining classes, by which a kept cluster is stably sorted;
/// and the tokenizer's own test, `word`: the non-ASCII scalars that are alphabetic or numeric.
/// Every list of ranges is sorted `[first, last]` (`ccc`: `[first, last, class]`).
public struct TextUnicodeTables: Codable, Sendable, Equatable {
    public var fold: [String: [UInt32]]
    public var nonbase: [[UInt32]]
    public var kept: [String: [UInt32]]
    public var ccc: [[UInt32]]
    public var word: [[UInt32]]

    /// The tables of this process (computed once: about a second in a debug build).
    public static let current = TextUnicodeTables()

    private init() {
        let options: String.CompareOptions = [.caseInsensitive, .diacriticInsensitive, .widthInsensitive]
        func folded(_ s: String) -> [UInt32] { s.folding(options: options, locale: nil).unicodeScalars.map(\.value) }
        var fold: [String: [UInt32]] = [:], kept: [String: [UInt32]] = [:]
        var nonbase: [UInt32] = [], word: [UInt32] = []
        var ccc: [[UInt32]] = []
        // A character whose folding changes it (U+216B ROMAN NUMERAL TWELVE becomes U+217B), so
        // every mark after it goes through the cluster's keeping path.
        let keeper = "\u{216B}"
        for v in UInt32(0)...0x10FFFF {
            guard let u = Unicode.Scalar(v) else { continue }
            let p = u.properties
            if v >= 0x80 && (p.isAlphabetic || p.numericType != nil) { word.append(v) }
            let combining = UInt32(p.canonicalCombiningClass.rawValue)
            if combining != 0 {
                if let last = ccc.last, last[1] + 1 == v, last[2] == combining { ccc[ccc.count - 1][1] = v } else { ccc.append([v, v, combining]) }
            }
            switch p.generalCategory {
            case .unassigned, .privateUse, .surrogate: continue
            default: break
            }
            let s = String(Character(u))
            let f = folded(s)
            if f != [v] { fold[String(v)] = f }
            if v >= 0x80, folded("a" + s) == [0x61] {
                nonbase.append(v)
                let k = Array(folded(keeper + s).dropFirst())
                if k != [v] { kept[String(v)] = k }
            }
        }
        self.fold = fold
        self.kept = kept
        self.nonbase = TextUnicodeTables.ranges(nonbase)
        self.word = TextUnicodeTables.ranges(word)
        self.ccc = ccc
    }

    /// Sorted values as [first, last] runs.
    static func ranges(_ values: [UInt32]) -> [[UInt32]] {
        var out: [[UInt32]] = []
        for v in values {
            if let last = out.last, last[1] + 1 == v { out[out.count - 1][1] = v } else { out.append([v, v]) }
        }
        return out
    }
}
