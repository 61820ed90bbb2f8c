/// A variant named at gene level, as the WHO catalogue names it: `rpoB p.Ser450Leu`, `rrs n.1401A>G`.
public struct GeneVariant: Hashable, Sendable, Codable {
    /// The gene (catalogue spelling).
    public var gene: String
    /// The HGVS change: `p.Ser450Leu`, `c.-15C>T`, `n.1401A>G`, `p.Ala16fs`, or `deletion` for a lost gene.
    public var change: String
    /// The Sequence Ontology effect: missense_variant, frameshift_variant, upstream_gene_variant, ...
    public var effect: String
    /// Other spellings of the same change that catalogues use (an indel placed 5' instead of 3',
    /// `ins` instead of `dup`); looked up when `change` is not in a catalogue.
    public var synonyms: [String]
    /// The same change named against the nearest annotated gene when that is not a catalogue
    /// gene (the fabG1 promoter's `inhA c.-777C>T` is `fabG1 c.-15C>T`), for reports.
    public var alias: String?

    /// A named variant.
    public init(gene: String, change: String, effect: String, synonyms: [String] = [], alias: String? = nil) {
        self.gene = gene
        self.change = change
        self.effect = effect
        self.synonyms = synonyms
        self.alias = alias
    }

    /// `gene change`, the way reports print it.
    public var name: String { "\(gene) \(change)" }
}

/// Names genomic variants (POS / REF / ALT on H37Rv) in the catalogue genes' HGVS grammar.
///
/// Indels are shifted 3' in the gene's orientation (HGVS); a substitution names every codon
/// it touches (`p.` when the amino acid changes, `c.` for each base otherwise); in-frame
/// indels are named from the protein difference; frameshifts by their first changed residue.
public struct VariantAnnotator: Sendable {
    /// The reference the positions are on.
    public let reference: Reference
    /// How far upstream of a gene a change is still named against it (`c.-N`).
    public let upstreamWindow: Int
    /// Nucleotide deletions longer than this are written without their bases (`c.-334_-217del`).
    public let longDeletion = 100

    /// Upstream window per gene name.
    private let geneWindows: [String: Int]

    /// How far upstream of `gene` changes are named.
    public func window(for gene: Gene) -> Int { geneWindows[gene.name] ?? upstreamWindow }

    /// Genes sorted by the start of their window, for the overlap search.
    private let windows: [(lo: Int, hi: Int, gene: Gene)]
    private let maxWindow: Int
    /// Annotated genes that are not catalogue genes, sorted by start (for alias names).
    private let aliasGenes: [Gene]
    private let longestAlias: Int

    /// An annotator over `reference`'s catalogue genes.
    /// With `reach` (gene -> bases upstream, e.g. `Catalogue.upstreamReach`), a gene's window is
    /// only as long as that (at least 100 bases, at most `upstreamWindow`): fewer records to name.
    public init(reference: Reference, upstreamWindow: Int = 2_000, genes: [Gene]? = nil, reach: [String: Int]? = nil) {
        self.reference = reference
        self.upstreamWindow = upstreamWindow
        let list = genes ?? reference.genes
        var perGene: [String: Int] = [:]
        for gene in list {
            perGene[gene.name] = reach.map { min(upstreamWindow, max(100, ($0[gene.name] ?? 0) + 20)) } ?? upstreamWindow
        }
        geneWindows = perGene
        windows = list.map { gene in
            let w = perGene[gene.name] ?? upstreamWindow
            return gene.strand >= 0 ? (gene.start - w, gene.end, gene) : (gene.start, gene.end + w, gene)
        }.sorted { $0.lo < $1.lo }
        maxWindow = windows.map { $0.hi - $0.lo + 1 }.max() ?? 0
        let catalogueNames = Set(reference.genes.map(\.name))
        aliasGenes = reference.annotation.filter { !catalogueNames.contains($0.name) }
        longestAlias = aliasGenes.map(\.length).max() ?? 0
    }

    /// The genes whose body or upstream window holds genomic `lo...hi`.
    public func genes(overlapping lo: Int, _ hi: Int) -> [Gene] {
        // Binary search for the first window that could reach lo.
        var left = 0, right = windows.count
        let from = lo - maxWindow
        while left < right {
            let mid = (left + right) / 2
            if windows[mid].lo < from { left = mid + 1 } else { right = mid }
        }
        var found: [Gene] = []
        var i = left
        while i < windows.count && windows[i].lo <= hi {
            if windows[i].hi >= lo { found.append(windows[i].gene) }
            i += 1
        }
        return found
    }

    /// The gene-level names of one ALT allele at 1-based `position` with bases `ref` (already
    /// checked against the reference by the caller). Inside a gene, only that gene names it;
    /// between genes, every gene it lies upstream of does. Empty outside the catalogue's genes.
    public func annotate(position: Int, ref: String, alt: String) -> [GeneVariant] {
        var r = Array(ref.utf8), a = Array(alt.utf8)
        var pos = position
        while !r.isEmpty && !a.isEmpty && r[r.count - 1] == a[a.count - 1] { r.removeLast(); a.removeLast() }
        var prefix = 0
        while prefix < r.count && prefix < a.count && r[prefix] == a[prefix] { prefix += 1 }
        if prefix > 0 { r.removeFirst(prefix); a.removeFirst(prefix); pos += prefix }
        if r.isEmpty && a.isEmpty { return [] }
        // Genomic span touched: a deletion or substitution covers pos..pos+|r|-1; an insertion
        // sits between pos-1 and pos.
        let lo = r.isEmpty ? pos - 1 : pos
        let hi = r.isEmpty ? pos : pos + r.count - 1
        var candidates = genes(overlapping: lo, hi)
        let length = reference.sequence.count
        if candidates.isEmpty && hi > length - upstreamWindow {
            // Circular chromosome: positions just before the end are upstream of dnaA.
            pos -= length
            candidates = genes(overlapping: lo - length, hi - length)
        }
        if candidates.isEmpty { return [] }
        let (first, last) = pos < 1 ? (lo - length, hi - length) : (lo, hi)
        let inside = candidates.filter { $0.start <= last && $0.end >= first && !(r.isEmpty && ($0.end == first || $0.start == last)) }
        let chosen = inside.isEmpty ? candidates : inside
        var names: [GeneVariant] = []
        for gene in chosen {
            names += name(gene: gene, position: pos, ref: r, alt: a)
        }
        if inside.isEmpty, let other = aliasGene(first, last) {
            let alias = name(gene: other, position: pos, ref: r, alt: a).first.map { "\($0.gene) \($0.change)" }
            for i in names.indices { names[i].alias = alias }
        }
        return names
    }

    /// A gene of the full annotation (not a catalogue gene) that holds `lo...hi` or lies up to
    /// 100 bases downstream of it.
    func aliasGene(_ lo: Int, _ hi: Int) -> Gene? {
        var best: (Gene, Int)?
        // Genes are sorted by start and none is longer than `longestAlias`: search from there.
        var left = 0, right = aliasGenes.count
        while left < right {
            let mid = (left + right) / 2
            if aliasGenes[mid].start < lo - longestAlias - 100 { left = mid + 1 } else { right = mid }
        }
        for gene in aliasGenes[left...] {
            if gene.start > hi + 100 { break }
            let inside = gene.start <= hi && gene.end >= lo
            let distance = gene.strand >= 0 ? gene.start - hi : lo - gene.end
            if inside || (distance > 0 && distance <= 100) {
                let score = inside ? 0 : distance
                if score < (best?.1 ?? Int.max) { best = (gene, score) }
            }
        }
        return best?.0
    }

    // MARK: - Per gene

    /// The base at gene coordinate `t` in the gene's orientation (N outside the chromosome).
    @inline(__always) func geneBase(_ gene: Gene, _ t: Int) -> UInt8 {
        // The chromosome is circular: dnaA's upstream region is at the end of the sequence.
        var g = gene.genomic(t)
        let length = reference.sequence.count
        if g < 1 { g += length } else if g > length { g -= length }
        guard let base = reference.base(g) else { return UInt8(ascii: "N") }
        return gene.strand >= 0 ? base : Residue.complement(base)
    }

    func geneBases(_ gene: Gene, _ from: Int, _ to: Int) -> [UInt8] {
        from > to ? [] : (from...to).map { geneBase(gene, $0) }
    }

    /// Names a trimmed variant (non-empty `ref` or `alt`, no shared flanks) against one gene.
    func name(gene: Gene, position: Int, ref: [UInt8], alt: [UInt8]) -> [GeneVariant] {
        // Into gene orientation: t-range of the reference bases; an insertion goes after t = `after`.
        let minus = gene.strand < 0
        let r = minus ? Residue.reverseComplement(ref) : ref
        let a = minus ? Residue.reverseComplement(alt) : alt
        if r.isEmpty {
            // Insertion between genomic position-1 and position.
            let after = minus ? gene.local(position) : gene.local(position - 1)
            return insertion(gene: gene, after: after, inserted: a)
        }
        let t0 = minus ? gene.local(position + ref.count - 1) : gene.local(position)
        let t1 = t0 + r.count - 1
        if a.isEmpty { return deletion(gene: gene, from: t0, to: t1) }
        if r.count == a.count { return substitution(gene: gene, from: t0, ref: r, alt: a) }
        return delins(gene: gene, from: t0, to: t1, inserted: a)
    }

    func prefix(_ gene: Gene) -> String { gene.isRNA ? "n." : "c." }

    func nucleotideEffect(_ gene: Gene, _ t0: Int, _ t1: Int) -> String {
        if t1 <= 0 { return "upstream_gene_variant" }
        if t0 > gene.length { return "downstream_gene_variant" }
        return gene.isRNA ? "non_coding_transcript_exon_variant" : "coding_sequence_variant"
    }

    func range(_ gene: Gene, _ t0: Int, _ t1: Int) -> String {
        t0 == t1 ? gene.label(t0) : "\(gene.label(t0))_\(gene.label(t1))"
    }

    // MARK: Substitutions

    func substitution(gene: Gene, from t0: Int, ref: [UInt8], alt: [UInt8]) -> [GeneVariant] {
        var names: [GeneVariant] = []
        let t1 = t0 + ref.count - 1
        let coding = !gene.isRNA
        var handledCodons = Set<Int>()
        for k in 0..<ref.count where ref[k] != alt[k] {
            let t = t0 + k
            if coding && t >= 1 && t <= gene.length {
                let codon = (t - 1) / 3
                if handledCodons.contains(codon) { continue }
                handledCodons.insert(codon)
                names += codonChange(gene: gene, codon: codon, from: t0, ref: ref, alt: alt)
            } else {
                let effect = t <= 0 ? "upstream_gene_variant"
                    : t > gene.length ? "downstream_gene_variant" : "non_coding_transcript_exon_variant"
                names.append(GeneVariant(gene: gene.name,
                                         change: "\(prefix(gene))\(gene.label(t))\(char(ref[k]))>\(char(alt[k]))",
                                         effect: effect))
            }
        }
        // Catalogues also write a multi-base substitution as one delins (katG c.421_423delTTGinsCTC).
        if ref.count > 1, !names.isEmpty {
            let delins = "\(prefix(gene))\(range(gene, t0, t1))del\(string(ref))ins\(string(alt))"
            names[0].synonyms.append(delins)
        }
        return names
    }

    /// The name(s) of the change to one codon (0-based `codon`) made by a substitution.
    func codonChange(gene: Gene, codon: Int, from t0: Int, ref: [UInt8], alt: [UInt8]) -> [GeneVariant] {
        let first = codon * 3 + 1
        var refCodon = [UInt8](repeating: 0, count: 3), altCodon = refCodon
        for j in 0..<3 {
            let t = first + j
            refCodon[j] = geneBase(gene, t)
            let k = t - t0
            altCodon[j] = k >= 0 && k < alt.count ? alt[k] : refCodon[j]
        }
        let number = codon + 1
        let isStartCodon = codon == 0
        let refAA = isStartCodon ? UInt8(ascii: "M") : GeneticCode.translate(refCodon[0], refCodon[1], refCodon[2])
        let altAA = isStartCodon && GeneticCode.isStart(altCodon[0], altCodon[1], altCodon[2])
            ? UInt8(ascii: "M") : GeneticCode.translate(altCodon[0], altCodon[1], altCodon[2])
        if refAA == altAA {
            var names: [GeneVariant] = []
            for j in 0..<3 where refCodon[j] != altCodon[j] {
                names.append(GeneVariant(gene: gene.name, change: "c.\(first + j)\(char(refCodon[j]))>\(char(altCodon[j]))",
                                         effect: refAA == UInt8(ascii: "*") ? "stop_retained_variant" : "synonymous_variant"))
            }
            return names
        }
        if isStartCodon { return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")] }
        if refAA == UInt8(ascii: "*") {
            return [GeneVariant(gene: gene.name, change: "p.Ter\(number)\(GeneticCode.name(altAA))ext*?", effect: "stop_lost")]
        }
        if altAA == UInt8(ascii: "*") {
            return [GeneVariant(gene: gene.name, change: "p.\(GeneticCode.name(refAA))\(number)*", effect: "stop_gained")]
        }
        return [GeneVariant(gene: gene.name, change: "p.\(GeneticCode.name(refAA))\(number)\(GeneticCode.name(altAA))",
                            effect: "missense_variant")]
    }

    // MARK: Indels

    func deletion(gene: Gene, from t0: Int, to t1: Int) -> [GeneVariant] {
        if t0 <= 1 && t1 >= gene.length {
            return [GeneVariant(gene: gene.name, change: "deletion", effect: "feature_ablation")]
        }
        if !gene.isRNA && t1 >= 1 && t0 <= gene.length {
            if t0 <= 3 { return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")] }
            if t1 > gene.length - 3 {
                // The stop codon goes: from inside it, the protein runs on; from before it, the end is lost.
                let stop = gene.length / 3
                if t0 > gene.length - 3 { return [GeneVariant(gene: gene.name, change: "p.Ter\(stop)ext*?", effect: "stop_lost")] }
                let codon = (t0 - 1) / 3
                let first = GeneticCode.translate(geneBase(gene, codon * 3 + 1), geneBase(gene, codon * 3 + 2),
                                                  geneBase(gene, codon * 3 + 3))
                if (t1 - t0 + 1) % 3 != 0 {
                    return [GeneVariant(gene: gene.name, change: "p.\(GeneticCode.name(first))\(codon + 1)fs",
                                        effect: "frameshift_variant")]
                }
                return [GeneVariant(gene: gene.name, change: "p.\(GeneticCode.name(first))\(codon + 1)_Ter\(stop)del",
                                    effect: "feature_ablation")]
            }
            // 3' shift in the gene's orientation, then name from the proteins.
            var a = t0, b = t1
            while b + 1 <= gene.length + 3 && geneBase(gene, b + 1) == geneBase(gene, a) { a += 1; b += 1 }
            var lo = t0, hi = t1
            while lo - 1 >= 4 && geneBase(gene, lo - 1) == geneBase(gene, hi) { lo -= 1; hi -= 1 }
            return codingIndel(gene: gene, from: a, to: b, inserted: [], leftmost: lo)
        }
        // Every placement of the deleted bases is the same change: name the 3'-most (HGVS),
        // and keep the 5'-most and the as-written ones as synonyms.
        var lo = t0, hi = t1
        while geneBase(gene, lo - 1) == geneBase(gene, hi) && hi - 1 >= t0 - upstreamWindow { lo -= 1; hi -= 1 }
        var a = t0, b = t1
        while geneBase(gene, b + 1) == geneBase(gene, a) && b + 1 <= gene.length + upstreamWindow { a += 1; b += 1 }
        func named(_ x: Int, _ y: Int) -> String {
            let deleted = geneBases(gene, x, y)
            return "\(prefix(gene))\(range(gene, x, y))del\(deleted.count > longDeletion ? "" : string(deleted))"
        }
        let primary = named(a, b)
        let others = [named(lo, hi), named(t0, t1)].filter { $0 != primary }
        return [GeneVariant(gene: gene.name, change: primary, effect: nucleotideEffect(gene, a, b),
                            synonyms: Array(Set(others)).sorted())]
    }

    func insertion(gene: Gene, after: Int, inserted: [UInt8]) -> [GeneVariant] {
        if !gene.isRNA && after >= 0 && after < 3 {
            return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")]
        }
        // The 3'-most placement (HGVS) and the 5'-most one.
        var at = after
        var seq = inserted
        let shiftLimit = !gene.isRNA && after >= 1 && after < gene.length ? gene.length - 1 : gene.length + upstreamWindow
        while let first = seq.first, geneBase(gene, at + 1) == first, at + 1 <= shiftLimit {
            seq.removeFirst()
            seq.append(first)
            at += 1
        }
        var left = after
        var leftSeq = inserted
        if !gene.isRNA && at >= 1 && at < gene.length {
            while let last = leftSeq.last, geneBase(gene, left) == last, left - 1 >= 3 {
                leftSeq.removeLast()
                leftSeq.insert(last, at: 0)
                left -= 1
            }
            return codingIndel(gene: gene, from: at + 1, to: at, inserted: seq, leftmost: left + 1)
        }
        while let last = leftSeq.last, geneBase(gene, left) == last, left - 1 >= after - upstreamWindow {
            leftSeq.removeLast()
            leftSeq.insert(last, at: 0)
            left -= 1
        }
        func names(_ x: Int, _ bases: [UInt8]) -> [String] {
            let n = bases.count
            var list: [String] = []
            if geneBases(gene, x - n + 1, x) == bases {
                list.append("\(prefix(gene))\(range(gene, x - n + 1, x))dup\(string(bases))")
            }
            if geneBases(gene, x + 1, x + n) == bases {
                list.append("\(prefix(gene))\(range(gene, x + 1, x + n))dup\(string(bases))")
            }
            list.append("\(prefix(gene))\(gene.label(x))_\(gene.label(x + 1))ins\(string(bases))")
            return list
        }
        let all = names(at, seq) + names(left, leftSeq)
        let asWritten = names(after, inserted)
        let primary = all[0]
        var synonyms: [String] = []
        for name in all.dropFirst() + asWritten where name != primary && !synonyms.contains(name) { synonyms.append(name) }
        return [GeneVariant(gene: gene.name, change: primary, effect: nucleotideEffect(gene, at, at + 1), synonyms: synonyms)]
    }

    func delins(gene: Gene, from t0: Int, to t1: Int, inserted: [UInt8]) -> [GeneVariant] {
        if t0 <= 1 && t1 >= gene.length {
            return [GeneVariant(gene: gene.name, change: "deletion", effect: "feature_ablation")]
        }
        if !gene.isRNA && t1 >= 1 && t0 <= gene.length {
            if t0 <= 3 { return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")] }
            return codingIndel(gene: gene, from: t0, to: t1, inserted: inserted)
        }
        let deleted = geneBases(gene, t0, t1)
        return [GeneVariant(gene: gene.name,
                            change: "\(prefix(gene))\(range(gene, t0, t1))del\(string(deleted))ins\(string(inserted))",
                            effect: nucleotideEffect(gene, t0, t1))]
    }

    /// Names an indel that touches the coding sequence from the proteins before and after.
    /// `from...to` are the replaced gene coordinates (`to == from - 1` for a pure insertion).
    /// `leftmost` is the first changed base of the indel's 5'-most placement, for the frameshift
    /// synonym some catalogues write (the codon of that base).
    func codingIndel(gene: Gene, from t0: Int, to t1: Int, inserted: [UInt8], leftmost: Int? = nil) -> [GeneVariant] {
        if t0 <= 1 && t1 >= 1 {
            return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")]
        }
        guard t0 >= 1 else { return [] }
        // Reference coding sequence plus a tail to read through a lost stop or a shifted frame.
        let tail = 3_000
        let cdsEnd = gene.length + tail
        let refBases = geneBases(gene, 1, cdsEnd)
        var altBases = Array(refBases[0..<(t0 - 1)])
        altBases += inserted
        if t1 < cdsEnd { altBases += refBases[t1...] }
        let refProtein = GeneticCode.translate(refBases[0..<gene.length], toStop: false)
        let altProtein = GeneticCode.translate(altBases[...], toStop: true)
        let change = (inserted.count - (t1 - t0 + 1)) % 3 != 0
        let star = UInt8(ascii: "*")
        var p = 0
        while p < refProtein.count && p < altProtein.count && refProtein[p] == altProtein[p] { p += 1 }
        if change {
            var fivePrime: String?
            if let leftmost, leftmost >= 1, (leftmost - 1) / 3 < refProtein.count {
                let codon = (leftmost - 1) / 3
                let aa = refProtein[codon]
                fivePrime = aa == star ? "p.Ter\(codon + 1)ext*?" : "p.\(GeneticCode.name(aa))\(codon + 1)fs"
            }
            guard p < refProtein.count else {
                return fivePrime.map { [GeneVariant(gene: gene.name, change: $0, effect: "frameshift_variant")] } ?? []
            }
            if p == 0 { return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")] }
            let aa = refProtein[p]
            if aa == star {
                return [GeneVariant(gene: gene.name, change: "p.Ter\(p + 1)ext*?", effect: "stop_lost")]
            }
            let name = "p.\(GeneticCode.name(aa))\(p + 1)fs"
            return [GeneVariant(gene: gene.name, change: name, effect: "frameshift_variant",
                                synonyms: fivePrime.map { $0 == name ? [] : [$0] } ?? [])]
        }
        // In frame: compare proteins (the reference includes its stop). HGVS places the
        // change 3'-most; catalogues sometimes write it 5'-most or as `ins` for a `dup`: synonyms.
        if p >= refProtein.count { return [] }
        if p == 0 { return [GeneVariant(gene: gene.name, change: "p.Met1?", effect: "start_lost")] }
        var s = 0
        while s < refProtein.count - p && s < altProtein.count - p
                && refProtein[refProtein.count - 1 - s] == altProtein[altProtein.count - 1 - s] { s += 1 }
        var s5 = 0
        while s5 < refProtein.count && s5 < altProtein.count
                && refProtein[refProtein.count - 1 - s5] == altProtein[altProtein.count - 1 - s5] { s5 += 1 }
        var p5 = 0
        while p5 < refProtein.count - s5 && p5 < altProtein.count - s5 && refProtein[p5] == altProtein[p5] { p5 += 1 }
        var names = proteinNames(gene: gene, refProtein: refProtein, altProtein: altProtein, p: p, s: s)
        if names.isEmpty {
            // Same protein: name the bases.
            let ref = geneBases(gene, t0, t1)
            return [GeneVariant(gene: gene.name,
                                change: inserted.isEmpty ? "c.\(range(gene, t0, t1))del\(string(ref))"
                                    : "c.\(range(gene, t0, t1))del\(string(ref))ins\(string(inserted))",
                                effect: "synonymous_variant")]
        }
        if (p5, s5) != (p, s), p5 > 0 {
            for other in proteinNames(gene: gene, refProtein: refProtein, altProtein: altProtein, p: p5, s: s5)
            where !names.contains(where: { $0.0 == other.0 }) { names.append(other) }
        }
        return [GeneVariant(gene: gene.name, change: names[0].0, effect: names[0].1, synonyms: names.dropFirst().map(\.0))]
    }

    /// Names (and effects) of the protein change where `p` residues lead and `s` trail unchanged;
    /// the first is the preferred spelling. Empty when the proteins are the same.
    func proteinNames(gene: Gene, refProtein: [UInt8], altProtein: [UInt8], p: Int, s: Int) -> [(String, String)] {
        let star = UInt8(ascii: "*")
        let deleted = Array(refProtein[p..<(refProtein.count - s)])
        let added = Array(altProtein[p..<(altProtein.count - s)])
        func aa(_ i: Int) -> String { "\(GeneticCode.name(refProtein[i]))\(i + 1)" }
        if deleted.isEmpty && added.isEmpty { return [] }
        if added.isEmpty {
            if deleted.last == star && deleted.count == 1 { return [("p.Ter\(p + 1)ext*?", "stop_lost")] }
            let name = deleted.count == 1 ? "p.\(aa(p))del" : "p.\(aa(p))_\(aa(p + deleted.count - 1))del"
            // Losing the stop codon with the residues before it takes the protein's end with it.
            return [(name, deleted.last == star ? "feature_ablation" : "inframe_deletion")]
        }
        if deleted.isEmpty {
            let n = added.count
            let insertion = ("p.\(aa(p - 1))_\(aa(p))ins\(GeneticCode.names(added))", "inframe_insertion")
            if p - n >= 0 && Array(refProtein[(p - n)..<p]) == added {
                let name = n == 1 ? "p.\(aa(p - 1))dup" : "p.\(aa(p - n))_\(aa(p - 1))dup"
                return [(name, "inframe_insertion"), insertion]
            }
            if added.contains(star) { return [("p.\(aa(p))*", "stop_gained")] }
            return [insertion]
        }
        if added.last == star && added.count == 1 { return [("p.\(aa(p))*", "stop_gained")] }
        if deleted.count == 1 && added.count == 1 {
            return [("p.\(aa(p))\(GeneticCode.name(added[0]))", "missense_variant")]
        }
        let span = deleted.count == 1 ? aa(p) : "\(aa(p))_\(aa(p + deleted.count - 1))"
        let effect = deleted.last == star ? "feature_ablation"
            : added.count < deleted.count ? "inframe_deletion" : "inframe_insertion"
        return [("p.\(span)delins\(GeneticCode.names(added))", effect)]
    }

    @inline(__always) func char(_ b: UInt8) -> String { String(UnicodeScalar(b)) }
    func string(_ bases: [UInt8]) -> String { String(decoding: bases, as: UTF8.self) }
}
