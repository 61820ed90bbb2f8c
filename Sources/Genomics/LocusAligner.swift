/// Finds the variants of an assembled genome (or of locus sequences) in the catalogue's loci by
/// aligning each H37Rv locus to the FASTA: k-mer seeds place the locus, then a banded affine-gap
/// alignment (Gotoh) of the locus against that window gives substitutions and indels.
///
/// Legend: L locus length, W band half-width, K seed length.
public struct LocusAligner: Sendable {
    /// A resistance locus: a catalogue gene with its upstream region, in genome coordinates.
    public struct Locus: Sendable {
        /// The gene.
        public var gene: Gene
        /// First H37Rv position of the locus.
        public var start: Int
        /// Last H37Rv position of the locus.
        public var end: Int
    }

    /// Where a locus was found, and how well.
    public struct Placement: Sendable {
        /// The locus' gene.
        public var gene: String
        /// The FASTA record it lies in.
        public var record: String
        /// +1 when the record reads like H37Rv, -1 when reverse-complemented.
        public var strand: Int
        /// Seeds that agreed on the placement.
        public var seeds: Int
        /// Fraction of the locus' aligned columns that are identical.
        public var identity: Double
    }

    /// The result for one FASTA: variants in H37Rv coordinates, placements, and loci not found.
    public struct Result: Sendable {
        /// Variants as POS / REF / ALT on H37Rv, sorted, duplicates (from overlapping loci) removed.
        public var variants: [(position: Int, ref: String, alt: String)]
        /// Where each found locus lies.
        public var placements: [Placement]
        /// Genes whose locus was not found.
        public var missing: [String]
    }

    /// Seed length.
    public let k = 20
    /// Band half-width of the alignment: indels longer than this are not seen.
    public let band = 48
    /// Bases upstream of each gene included in its locus.
    public let upstream: Int
    /// The loci, one per catalogue gene.
    public let loci: [Locus]
    private let reference: Reference
    /// Seed k-mer (2 bits per base) to H37Rv position; positions shared by two places are dropped.
    private let seeds: [UInt64: Int32]
    /// One bit per hashed seed: most k-mers of a genome are in no locus, and a bit test is much
    /// cheaper than a dictionary lookup.
    private let filter: [UInt64]
    private static let filterBits = 25

    /// An aligner for `reference`'s catalogue genes with `upstream` bases before each gene.
    public init(reference: Reference, upstream: Int = 1_000) {
        self.reference = reference
        self.upstream = upstream
        let length = reference.sequence.count
        loci = reference.genes.map { gene in
            gene.strand >= 0
                ? Locus(gene: gene, start: max(1, gene.start - upstream), end: min(length, gene.end + 60))
                : Locus(gene: gene, start: max(1, gene.start - 60), end: min(length, gene.end + upstream))
        }
        var index: [UInt64: Int32] = [:]
        var covered = Set<Int>()
        let mask: UInt64 = (1 << UInt64(2 * k)) - 1
        for locus in loci {
            var code: UInt64 = 0, valid = 0
            for p in locus.start...locus.end {
                let c = GeneticCode.code(reference.sequence[p - 1])
                if c < 0 { valid = 0; continue }
                code = ((code << 2) | UInt64(c)) & mask
                valid += 1
                let first = p - k + 1
                if valid >= k && !covered.contains(first) {
                    covered.insert(first)
                    if index[code] == nil { index[code] = Int32(first) } else { index[code] = -1 }
                }
            }
        }
        seeds = index.filter { $0.value > 0 }
        var bits = [UInt64](repeating: 0, count: (1 << Self.filterBits) / 64)
        for key in seeds.keys {
            let h = Self.hash(key)
            bits[h >> 6] |= 1 << UInt64(h & 63)
        }
        filter = bits
    }

    @inline(__always) static func hash(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - filterBits))
    }

    @inline(__always) func mayBeSeed(_ key: UInt64) -> Bool {
        let h = Self.hash(key)
        return filter[h >> 6] & (1 << UInt64(h & 63)) != 0
    }

    /// Aligns every locus to the records of a FASTA file.
    public func align(_ records: [FASTARecord]) -> Result {
        // 1. Seed hits per record and strand, voted by diagonal.
        struct Vote: Hashable { var record: Int; var strand: Int; var diagonal: Int }
        var votes: [Int: [Vote: Int]] = [:]   // locus index -> diagonal votes
        let lociByStart = loci.enumerated().sorted { $0.element.start < $1.element.start }
        func lociAt(_ pos: Int) -> [Int] {
            lociByStart.filter { pos >= $0.element.start && pos + k - 1 <= $0.element.end }.map(\.offset)
        }
        var lociCache: [Int: [Int]] = [:]
        let mask: UInt64 = (1 << UInt64(2 * k)) - 1
        let shift = UInt64(2 * (k - 1))
        for (r, record) in records.enumerated() {
            var forward: UInt64 = 0, reverse: UInt64 = 0, valid = 0
            record.sequence.withUnsafeBufferPointer { seq in
                for q in 0..<seq.count {
                    let c = GeneticCode.code(seq[q])
                    if c < 0 { valid = 0; continue }
                    forward = ((forward << 2) | UInt64(c)) & mask
                    reverse = (reverse >> 2) | (UInt64(c ^ 2) << shift)  // T=0 pairs with A=2, C=1 with G=3
                    valid += 1
                    guard valid >= k else { continue }
                    let qStart = q - k + 1
                    if mayBeSeed(forward), let g = seeds[forward] {
                        let pos = Int(g)
                        let hit = lociCache[pos] ?? { let l = lociAt(pos); lociCache[pos] = l; return l }()
                        for l in hit { votes[l, default: [:]][Vote(record: r, strand: 1, diagonal: (qStart - pos) >> 4), default: 0] += 1 }
                    }
                    if mayBeSeed(reverse), let g = seeds[reverse] {
                        let pos = Int(g)
                        let hit = lociCache[pos] ?? { let l = lociAt(pos); lociCache[pos] = l; return l }()
                        // On the reverse strand query position + genome position is constant.
                        for l in hit { votes[l, default: [:]][Vote(record: r, strand: -1, diagonal: (qStart + k - 1 + pos) >> 4), default: 0] += 1 }
                    }
                }
            }
        }
        // 2. Align each placed locus; 3. collect variants.
        var placements: [Placement] = []
        var missing: [String] = []
        var found = Set<String>()
        var variants: [(position: Int, ref: String, alt: String)] = []
        for (l, locus) in loci.enumerated() {
            let length = locus.end - locus.start + 1
            guard let (vote, count) = votes[l]?.max(by: { $0.value < $1.value }), count >= max(3, length / 200) else {
                missing.append(locus.gene.name)
                continue
            }
            // Refine the diagonal from the bin's neighbourhood: the bin is 16 wide.
            let diagonal = vote.diagonal << 4 + 8
            let record = records[vote.record].sequence
            // Forward: query index q of genome position p is p + diagonal. Reverse: q = diagonal - p.
            let pad = band + 16
            let window: [UInt8]
            let offset: Int   // window index of the locus' first base
            if vote.strand > 0 {
                let lo = max(0, locus.start + diagonal - pad), hi = min(record.count, locus.end + diagonal + pad + 1)
                guard lo < hi else { missing.append(locus.gene.name); continue }
                window = Array(record[lo..<hi])
                offset = locus.start + diagonal - lo
            } else {
                let lo = max(0, diagonal - locus.end - pad), hi = min(record.count, diagonal - locus.start + pad + 1)
                guard lo < hi else { missing.append(locus.gene.name); continue }
                window = Residue.reverseComplement(record[lo..<hi])
                offset = hi - 1 - (diagonal - locus.start)
            }
            let ref = Array(reference.sequence[(locus.start - 1)..<locus.end])
            guard let alignment = BandedAlignment.align(reference: ref, query: window, offset: offset, band: band + 24),
                  alignment.identity >= 0.8, alignment.coverage >= 0.5 else {
                missing.append(locus.gene.name)
                continue
            }
            found.insert(locus.gene.name)
            placements.append(Placement(gene: locus.gene.name, record: records[vote.record].name, strand: vote.strand,
                                        seeds: count, identity: alignment.identity))
            for event in alignment.events(reference: ref, query: window) {
                variants.append((locus.start + event.position, event.ref, event.alt))
            }
        }
        var seen = Set<String>()
        let unique = variants.filter { seen.insert("\($0.position) \($0.ref) \($0.alt)").inserted }
            .sorted { ($0.position, $0.ref, $0.alt) < ($1.position, $1.ref, $1.alt) }
        return Result(variants: unique, placements: placements, missing: missing.filter { !found.contains($0) })
    }
}

/// A banded semi-global alignment with affine gaps (Gotoh 1982): the whole reference against part of the query.
struct BandedAlignment {
    /// Columns: (reference index or -1, query index or -1).
    var columns: [(Int, Int)]
    /// Identical columns / aligned columns.
    var identity: Double
    /// Reference bases aligned to a query base / reference length.
    var coverage: Double

    static let match: Int32 = 2, mismatch: Int32 = -4, open: Int32 = -6, extend: Int32 = -1
    static let negative: Int32 = -1_000_000

    /// Aligns `reference` (L) to `query` along the diagonal j = i + `offset`, within `band` of it.
    /// Unaligned ends are free on both sequences (the query window or record may cut the locus);
    /// the caller ignores gaps at the ends.
    static func align(reference: [UInt8], query: [UInt8], offset: Int, band: Int) -> BandedAlignment? {
        let m = reference.count, n = query.count
        guard m > 0, n > 0 else { return nil }
        let w = band
        let width = 2 * w + 1
        // H: best ending in a match column; E: gap in the reference (query insertion); F: gap in the query (deletion).
        var H = [Int32](repeating: negative, count: (m + 1) * width)
        var E = H, F = H
        var trace = [UInt8](repeating: 0, count: (m + 1) * width)
        func idx(_ i: Int, _ j: Int) -> Int? {
            let d = j - i - offset + w
            return d >= 0 && d < width ? i * width + d : nil
        }
        // Free leading bases: row 0 (query) and column 0 (reference) start at 0.
        for j in 0...n { if let x = idx(0, j) { H[x] = 0; trace[x] = 3 } }
        for i in 1...m { if let x = idx(i, 0) { H[x] = 0; trace[x] = 3 } }
        for i in 1...m {
            let lo = max(1, i + offset - w), hi = min(n, i + offset + w)
            if lo > hi { continue }
            for j in lo...hi {
                guard let x = idx(i, j) else { continue }
                var bits: UInt8 = 0
                // F: deletion (reference base i against a gap), from row i-1 same j.
                if let up = idx(i - 1, j) {
                    let fromH = H[up] + open, fromF = F[up] + extend
                    if fromF > fromH { F[x] = fromF; bits |= 0x10 } else { F[x] = fromH }
                }
                // E: insertion (query base j against a gap), from same row j-1.
                if j > 0, let left = idx(i, j - 1) {
                    let fromH = H[left] + open, fromE = E[left] + extend
                    if fromE > fromH { E[x] = fromE; bits |= 0x20 } else { E[x] = fromH }
                }
                // H: the best of a (mis)match from (i-1, j-1), or closing a gap.
                var best = negative, source: UInt8 = 3
                if j > 0, let diag = idx(i - 1, j - 1), H[diag] > negative / 2 {
                    let r = reference[i - 1], q = query[j - 1]
                    let s: Int32 = q == UInt8(ascii: "N") || r == UInt8(ascii: "N") ? 0 : (r == q ? match : mismatch)
                    best = H[diag] + s
                    source = 0
                }
                if F[x] > best { best = F[x]; source = 1 }
                if E[x] > best { best = E[x]; source = 2 }
                H[x] = best
                trace[x] = bits | source
            }
        }
        // End: the best H in the last row or the last column (trailing bases free).
        var bestI = -1, bestJ = -1, bestScore = negative
        for j in 0...n { if let x = idx(m, j), H[x] > bestScore { bestScore = H[x]; bestI = m; bestJ = j } }
        for i in 0...m { if let x = idx(i, n), H[x] > bestScore { bestScore = H[x]; bestI = i; bestJ = n } }
        guard bestJ >= 0, bestScore > 0 else { return nil }
        // Traceback.
        var columns: [(Int, Int)] = []
        var i = bestI, j = bestJ, state = 0   // 0 H, 1 F, 2 E
        var same = 0, aligned = 0
        while i > 0 && j > 0 {
            guard let x = idx(i, j) else { return nil }
            switch state {
            case 0:
                let source = Int(trace[x] & 0x3)
                if source == 0 {
                    columns.append((i - 1, j - 1))
                    aligned += 1
                    if reference[i - 1] == query[j - 1] { same += 1 }
                    i -= 1; j -= 1
                } else if source == 3 {
                    i = 0
                } else {
                    state = source
                }
            case 1:
                columns.append((i - 1, -1))
                aligned += 1
                state = trace[x] & 0x10 != 0 ? 1 : 0
                i -= 1
            default:
                columns.append((-1, j - 1))
                aligned += 1
                state = trace[x] & 0x20 != 0 ? 2 : 0
                j -= 1
            }
        }
        columns.reverse()
        let span = columns.filter { $0.0 >= 0 && $0.1 >= 0 }.count
        return BandedAlignment(columns: columns, identity: aligned == 0 ? 0 : Double(same) / Double(aligned),
                               coverage: Double(span) / Double(m))
    }

    /// The differences as VCF-style events (0-based reference offset; indels anchored on the base
    /// before them). Runs touching an N, and gaps at either end of the alignment, are not called.
    func events(reference: [UInt8], query: [UInt8]) -> [(position: Int, ref: String, alt: String)] {
        var result: [(position: Int, ref: String, alt: String)] = []
        let N = UInt8(ascii: "N")
        // Trim terminal gap columns: the window may simply end there.
        var first = 0, last = columns.count - 1
        while first <= last && (columns[first].0 < 0 || columns[first].1 < 0) { first += 1 }
        while last >= first && (columns[last].0 < 0 || columns[last].1 < 0) { last -= 1 }
        var c = first
        while c <= last {
            let (i, j) = columns[c]
            if i >= 0 && j >= 0 && reference[i] == query[j] { c += 1; continue }
            // A run of differing columns.
            var end = c
            while end + 1 <= last {
                let (a, b) = columns[end + 1]
                if a >= 0 && b >= 0 && reference[a] == query[b] { break }
                end += 1
            }
            var refBases: [UInt8] = [], altBases: [UInt8] = [], touchesN = false, hasGap = false
            var startRef = -1
            for k in c...end {
                let (a, b) = columns[k]
                if a >= 0 { refBases.append(reference[a]); if startRef < 0 { startRef = a } }
                if b >= 0 { altBases.append(query[b]) }
                if a < 0 || b < 0 { hasGap = true }
                if (a >= 0 && reference[a] == N) || (b >= 0 && query[b] == N) { touchesN = true }
            }
            if !touchesN {
                if startRef < 0 {
                    // Pure insertion: after the reference base of the previous column.
                    var k = c - 1
                    while k >= 0 && columns[k].0 < 0 { k -= 1 }
                    startRef = k >= 0 ? columns[k].0 + 1 : 0
                }
                if hasGap && startRef > 0 {
                    let anchor = reference[startRef - 1]
                    result.append((startRef - 1, String(decoding: [anchor] + refBases, as: UTF8.self),
                                   String(decoding: [anchor] + altBases, as: UTF8.self)))
                } else if !hasGap {
                    result.append((startRef, String(decoding: refBases, as: UTF8.self), String(decoding: altBases, as: UTF8.self)))
                }
            }
            c = end + 1
        }
        return result
    }
}
