/// A stretch of H37Rv around one gene, read in the gene's orientation (reverse-complemented for a
/// minus-strand gene): `upstream` bases before the gene's first base, the gene, `downstream` after.
/// The catalogue's variant names (`c.-15C>T`, `p.Ser450Leu`, `n.1401A>G`, `c.1349_1350insA`,
/// `p.Glu194fs`, `deletion`) become edits of this sequence.
public struct GeneLocus: Sendable, Hashable, Codable {
    /// The gene's catalogue name.
    public var gene: String
    /// Bases before the gene's first base, the gene's length, bases after its last.
    public var upstream: Int, length: Int, downstream: Int
    /// True for RNA genes (`n.` names, never translated).
    public var isRNA: Bool
    /// Upper-case bases, `upstream + length + downstream` of them.
    public var sequence: [UInt8]

    /// A locus from its parts.
    public init(gene: String, upstream: Int, length: Int, downstream: Int, isRNA: Bool, sequence: [UInt8]) {
        self.gene = gene
        self.upstream = upstream
        self.length = length
        self.downstream = downstream
        self.isRNA = isRNA
        self.sequence = sequence
    }

    /// The locus of `gene` on `reference`, clipped to the chromosome (so `upstream` and
    /// `downstream` may come out shorter than asked).
    public init(gene: Gene, reference: Reference, upstream: Int, downstream: Int) {
        let lo: Int, hi: Int, up: Int, down: Int
        if gene.strand >= 0 {
            lo = max(1, gene.start - upstream); hi = min(reference.sequence.count, gene.end + downstream)
            up = gene.start - lo; down = hi - gene.end
        } else {
            lo = max(1, gene.start - downstream); hi = min(reference.sequence.count, gene.end + upstream)
            up = hi - gene.end; down = gene.start - lo
        }
        var bases = reference.bases(lo, hi).map { $0 & 0xDF }
        if gene.strand < 0 { bases = GeneLocus.reverseComplement(bases) }
        self.init(gene: gene.name, upstream: up, length: gene.length, downstream: down, isRNA: gene.isRNA, sequence: bases)
    }

    /// The reverse complement of upper-case bases (anything but A C G T becomes N).
    public static func reverseComplement(_ bases: [UInt8]) -> [UInt8] {
        bases.reversed().map { b -> UInt8 in
            switch b {
            case UInt8(ascii: "A"): return UInt8(ascii: "T")
            case UInt8(ascii: "T"): return UInt8(ascii: "A")
            case UInt8(ascii: "C"): return UInt8(ascii: "G")
            case UInt8(ascii: "G"): return UInt8(ascii: "C")
            default: return UInt8(ascii: "N")
            }
        }
    }

    /// Index in `sequence` of gene coordinate `t` (1 the first base, <= 0 upstream, > length downstream).
    @inline(__always) func index(_ t: Int) -> Int { upstream + t - 1 }

    /// One change of the locus: `sequence[start..<end]` replaced by `bases` (upper-case ASCII).
    public struct Edit: Sendable, Hashable {
        /// First replaced index and one past the last (equal for an insertion).
        public var start: Int, end: Int
        /// The new bases (empty for a deletion).
        public var bases: [UInt8]

        /// An edit.
        public init(start: Int, end: Int, bases: [UInt8]) {
            self.start = start
            self.end = end
            self.bases = bases
        }
    }

    /// The sequence with `edits` applied (edits must not overlap; `sequence` itself when empty).
    public func applying(_ edits: [Edit]) -> [UInt8] {
        var out = sequence
        for e in edits.sorted(by: { ($0.start, $0.end) > ($1.start, $1.end) })
        where e.start >= 0 && e.start <= e.end && e.end <= out.count {
            out.replaceSubrange(e.start..<e.end, with: e.bases)
        }
        return out
    }

    /// The edit `change` makes, or nil when the name cannot be placed on this locus (outside it,
    /// a stated reference base that differs, a form this reader does not know).
    ///
    /// Protein changes name no bases: a substitution takes the codon with the fewest base changes
    /// from the reference codon (ties: the first in T C A G order), a frameshift deletes the first
    /// base of its codon (the smallest change that shifts the frame), `Met1?` turns the start codon
    /// into the nearest non-start codon, `dup`/`del`/`ins` copy, drop or add whole codons.
    public func edit(_ change: String, effect: String = "") -> Edit? {
        if change == "deletion" { return Edit(start: index(1), end: index(length) + 1, bases: []) }
        let bytes = Array(change.utf8)
        guard bytes.count > 2, bytes[1] == UInt8(ascii: ".") else { return nil }
        var reader = HGVSReader(bytes: bytes, at: 2)
        switch bytes[0] {
        case UInt8(ascii: "c"), UInt8(ascii: "n"): return nucleotideEdit(&reader)
        case UInt8(ascii: "p"): return isRNA ? nil : proteinEdit(&reader)
        default: return nil
        }
    }

    // MARK: Nucleotide names

    private func nucleotideEdit(_ r: inout HGVSReader) -> Edit? {
        guard let t0 = r.position(length: length) else { return nil }
        var t1 = t0
        if r.take("_") { guard let t = r.position(length: length) else { return nil }; t1 = t }
        let i0 = index(t0), i1 = index(t1)
        guard i0 >= 0, i1 >= i0, i1 < sequence.count else { return nil }
        if r.take("del") {
            let stated = r.bases()
            let removed = Array(sequence[i0...i1])
            if !stated.isEmpty && stated != removed { return nil }
            if r.take("ins") {
                let inserted = r.bases()
                guard !inserted.isEmpty, r.atEnd else { return nil }
                return Edit(start: i0, end: i1 + 1, bases: inserted).trimmed(sequence)
            }
            return r.atEnd ? Edit(start: i0, end: i1 + 1, bases: []) : nil
        }
        if r.take("ins") {
            let inserted = r.bases()
            guard !inserted.isEmpty, r.atEnd, i1 == i0 + 1 else { return nil }
            return Edit(start: i1, end: i1, bases: inserted)
        }
        if r.take("dup") {
            let stated = r.bases()
            let copied = Array(sequence[i0...i1])
            guard r.atEnd, stated.isEmpty || stated == copied else { return nil }
            return Edit(start: i1 + 1, end: i1 + 1, bases: copied)
        }
        let ref = r.bases()
        guard r.take(">") else { return nil }
        let alt = r.bases()
        guard r.atEnd, !ref.isEmpty, ref.count == alt.count, i0 + ref.count - 1 == i1 || t0 == t1,
              i0 + ref.count <= sequence.count, Array(sequence[i0..<(i0 + ref.count)]) == ref else { return nil }
        return Edit(start: i0, end: i0 + ref.count, bases: alt).trimmed(sequence)
    }

    // MARK: Protein names

    private func codon(_ n: Int) -> Range<Int>? {
        guard n >= 1, 3 * n <= length else { return nil }
        let i = index(3 * n - 2)
        return i >= 0 && i + 3 <= sequence.count ? i..<(i + 3) : nil
    }

    private func proteinEdit(_ r: inout HGVSReader) -> Edit? {
        guard let aa0 = r.aminoAcid(), let n0 = r.number(), let c0 = codon(n0) else { return nil }
        let refAA = GeneticCode.translate(sequence[c0.lowerBound], sequence[c0.lowerBound + 1], sequence[c0.lowerBound + 2])
        // The first codon of a protein reads as Met whatever the start codon is.
        guard refAA == aa0 || (n0 == 1 && aa0 == UInt8(ascii: "M")) else { return nil }
        var n1 = n0, c1 = c0
        if r.take("_") {
            guard r.aminoAcid() != nil, let n = r.number(), n >= n0, let c = codon(n) else { return nil }
            n1 = n; c1 = c
        }
        if r.take("fs") { return Edit(start: c0.lowerBound, end: c0.lowerBound + 1, bases: []) }
        if r.take("dup") {
            guard r.atEnd else { return nil }
            return Edit(start: c1.upperBound, end: c1.upperBound, bases: Array(sequence[c0.lowerBound..<c1.upperBound]))
        }
        if r.take("del") {
            guard r.atEnd else { return nil }
            return Edit(start: c0.lowerBound, end: c1.upperBound, bases: [])
        }
        if r.take("ins") {
            var codons: [UInt8] = []
            while let aa = r.aminoAcid() {
                guard let c = GeneLocus.nearestCodon(to: [0x41, 0x41, 0x41], coding: aa) else { return nil }
                codons += c
            }
            guard r.atEnd, !codons.isEmpty, n1 == n0 + 1 else { return nil }
            return Edit(start: c0.upperBound, end: c0.upperBound, bases: codons)
        }
        guard n1 == n0 else { return nil }
        let refCodon = Array(sequence[c0])
        if r.take("?") {
            guard r.atEnd, n0 == 1, let c = GeneLocus.nearestCodon(to: refCodon, where: { !GeneticCode.isStart($0[0], $0[1], $0[2]) })
            else { return nil }
            return Edit(start: c0.lowerBound, end: c0.upperBound, bases: c).trimmed(sequence)
        }
        guard let alt = r.aminoAcid() else { return nil }
        if r.take("fs") { return Edit(start: c0.lowerBound, end: c0.lowerBound + 1, bases: []) }
        guard r.atEnd, let c = GeneLocus.nearestCodon(to: refCodon, coding: alt) else { return nil }
        return Edit(start: c0.lowerBound, end: c0.upperBound, bases: c).trimmed(sequence)
    }

    /// The codon coding `aminoAcid` (one letter, `*` stop) with the fewest base changes from `codon`
    /// (ties: the first in T C A G order), nil when none codes it.
    static func nearestCodon(to codon: [UInt8], coding aminoAcid: UInt8) -> [UInt8]? {
        nearestCodon(to: codon) { GeneticCode.translate($0[0], $0[1], $0[2]) == aminoAcid }
    }

    /// The codon accepted by `accept` with the fewest base changes from `codon` (ties: T C A G order).
    static func nearestCodon(to codon: [UInt8], where accept: ([UInt8]) -> Bool) -> [UInt8]? {
        let order: [UInt8] = Array("TCAG".utf8)
        var best: [UInt8]?, bestChanges = 4
        for a in order { for b in order { for c in order {
            let candidate = [a, b, c]
            guard accept(candidate) else { continue }
            let changes = zip(candidate, codon).filter { $0 != $1 }.count
            if changes < bestChanges { best = candidate; bestChanges = changes }
        } } }
        return best
    }
}

extension GeneLocus.Edit {
    /// The same change without the leading and trailing bases it leaves as they were.
    func trimmed(_ sequence: [UInt8]) -> GeneLocus.Edit {
        var s = start, e = end, b = bases[...]
        while s < e, let first = b.first, sequence[s] == first { s += 1; b = b.dropFirst() }
        while s < e, let last = b.last, sequence[e - 1] == last { e -= 1; b = b.dropLast() }
        return GeneLocus.Edit(start: s, end: e, bases: Array(b))
    }

}

/// Reads the parts of an HGVS name (after `c.`, `n.` or `p.`) without regular expressions.
struct HGVSReader {
    let bytes: [UInt8]
    var at: Int

    init(bytes: [UInt8], at: Int) {
        self.bytes = bytes
        self.at = at
    }

    var atEnd: Bool { at == bytes.count }

    /// Consumes `literal` when it comes next.
    mutating func take(_ literal: String) -> Bool {
        let l = Array(literal.utf8)
        guard at + l.count <= bytes.count, Array(bytes[at..<(at + l.count)]) == l else { return false }
        at += l.count
        return true
    }

    /// A decimal number of at most 7 digits (a longer one is no coordinate of a 4.4 Mb genome: nil).
    mutating func number() -> Int? {
        var value = 0, digits = 0
        while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39, digits < 7 {
            value = value * 10 + Int(bytes[at] - 0x30); at += 1; digits += 1
        }
        if at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 { return nil }
        return digits > 0 ? value : nil
    }

    /// A gene coordinate: `12` (t = 12), `-15` (t = -14: HGVS has no position 0), `*3` (t = length + 3).
    mutating func position(length: Int) -> Int? {
        if take("-") { return number().map { 1 - $0 } }
        if take("*") { return number().map { length + $0 } }
        return number()
    }

    /// Upper-case bases A C G T N (none is an empty array).
    mutating func bases() -> [UInt8] {
        var out: [UInt8] = []
        while at < bytes.count, "ACGTN".utf8.contains(bytes[at]) { out.append(bytes[at]); at += 1 }
        return out
    }

    /// A three-letter amino acid (`Ser`, `Ter`, `*`) as its one-letter code.
    mutating func aminoAcid() -> UInt8? {
        if take("*") || take("Ter") { return UInt8(ascii: "*") }
        guard at + 3 <= bytes.count else { return nil }
        let name = String(decoding: bytes[at..<(at + 3)], as: UTF8.self)
        guard let code = HGVSReader.oneLetter[name] else { return nil }
        at += 3
        return code
    }

    static let oneLetter: [String: UInt8] = {
        var map: [String: UInt8] = [:]
        for (code, name) in GeneticCode.threeLetter where name.count == 3 && name != "Xaa" { map[name] = code }
        return map
    }()
}
