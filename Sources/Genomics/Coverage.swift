import Foundation

/// Read depth over the regions a reads pipeline pileups (the catalogue loci and the barcode sites),
/// one count per base; a base no read covers has depth 0.
public struct DepthTrack: Sendable {
    /// The regions, sorted and disjoint.
    public let regions: [ClosedRange<Int>]
    /// Where each region's depths start in `depths`.
    private let offsets: [Int]
    /// The depths of every region, one after another.
    private var depths: [Int32]

    /// A track of zeros over `regions` (sorted and disjoint, as `SampleReader.regions`).
    public init(regions: [ClosedRange<Int>]) {
        self.regions = regions
        var offsets: [Int] = []
        var total = 0
        for r in regions {
            offsets.append(total)
            total += r.count
        }
        self.offsets = offsets
        depths = [Int32](repeating: 0, count: total)
    }

    /// The index of `position` in `depths`, when a region holds it.
    @inline(__always) private func index(_ position: Int) -> Int? {
        var left = 0, right = regions.count
        while left < right {
            let mid = (left + right) >> 1
            if regions[mid].upperBound < position { left = mid + 1 } else { right = mid }
        }
        guard left < regions.count, regions[left].lowerBound <= position else { return nil }
        return offsets[left] + position - regions[left].lowerBound
    }

    /// Records `depth` at `position` (the larger of two records at one position: an indel record
    /// shares its position with the base's own).
    public mutating func record(_ position: Int, depth: Int) {
        guard let i = index(position) else { return }
        depths[i] = max(depths[i], Int32(clamping: depth))
    }

    /// The depth at `position` (0 outside the regions or where no read was).
    public func depth(at position: Int) -> Int {
        index(position).map { Int(depths[$0]) } ?? 0
    }

    /// The depths of `range`, base by base.
    public func depths(_ range: ClosedRange<Int>) -> [Int] {
        range.map { depth(at: $0) }
    }
}

/// Per locus coverage, per drug the graded catalogue sites the reads cannot tell, and warnings on
/// the sample as a whole: what makes a reads result trustworthy, or not.
public struct CoverageQC: Codable, Sendable, Equatable {
    /// One locus (a catalogue gene's body).
    public struct Locus: Codable, Sendable, Equatable {
        public var gene: String
        public var start: Int, end: Int
        public var medianDepth: Int
        /// The fraction of the gene's bases covered at `minimumDepth` or more.
        public var fractionCovered: Double
    }

    /// One drug with graded sites below the depth floor.
    public struct Uncovered: Codable, Sendable, Equatable {
        public var drug: String
        /// How many of the drug's grade 1-2 catalogue entries cannot be told.
        public var sites: Int
        /// The first few of them ("rpoB p.Ser450Leu (depth 3)").
        public var examples: [String]
    }

    /// A stretch of a gene without a single read while the sample is otherwise well covered.
    public struct Gap: Codable, Sendable, Equatable {
        public var gene: String
        public var start: Int, end: Int
        /// The fraction of the gene's body inside the gap.
        public var fractionOfGene: Double
    }

    /// The depth floor (`--depth`).
    public var minimumDepth: Int
    /// The median depth over every locus base.
    public var medianDepth: Int
    /// The fraction of locus bases covered at the floor or more.
    public var fractionCovered: Double
    public var loci: [Locus]
    /// Drugs with graded sites the reads cannot tell: a drug with no resistance evidence among them is "not covered".
    public var notCovered: [Uncovered]
    /// Stretches of 50 or more bases without reads inside a gene: possible large deletions.
    public var gaps: [Gap]
    /// Mixed infection, not M. tuberculosis complex, low depth.
    public var warnings: [String]

    /// A loss-of-function rule (any frameshift, stop or deletion of the gene) cannot be told when
    /// more than this fraction of the gene is under the floor; a named change, when any of its bases is.
    public static let lossOfFunctionTolerance = 0.10
    /// Shortest stretch without reads reported as a gap.
    public static let shortestGap = 50
    /// More differences from H37Rv than this per covered locus base: probably not M. tuberculosis complex
    /// (MTBC strains differ from H37Rv at well under one base in 1,000; other mycobacteria at several in 100).
    public static let foreignDensity = 0.01

    /// The QC of one sample: `depth` from its pileup, `variants` as named (for the density of
    /// differences), `sites` the catalogue's graded sites, `lineage` for a mixed infection.
    public static func assess(depth: DepthTrack, genes: [Gene], sites: CatalogueSites, variants: [SampleVariant],
                              lineage: LineageCall?, minimumDepth: Int) -> CoverageQC {
        var all: [Int] = []
        var loci: [Locus] = []
        var gaps: [Gap] = []
        var covered = 0
        let ordered = genes.sorted(by: { $0.start < $1.start })
        // Each gene's depths, read once for its locus line and again (from here) for its gaps.
        let geneDepths = ordered.map { depth.depths($0.start...$0.end) }
        for (gene, d) in zip(ordered, geneDepths) {
            all += d
            let good = d.filter { $0 >= minimumDepth }.count
            covered += good
            loci.append(Locus(gene: gene.name, start: gene.start, end: gene.end, medianDepth: median(d),
                              fractionCovered: d.isEmpty ? 0 : Double(good) / Double(d.count)))
        }
        let overall = median(all)
        // A gap means something only where the rest is covered: a shallow run has gaps everywhere.
        if overall >= 2 * minimumDepth {
            for (gene, d) in zip(ordered, geneDepths) {
                var run = 0
                for (i, value) in d.enumerated() {
                    if value == 0 { run += 1 }
                    let endsHere = value != 0 || i == gene.length - 1
                    if endsHere && run >= shortestGap {
                        let last = value == 0 ? gene.start + i : gene.start + i - 1
                        gaps.append(Gap(gene: gene.name, start: last - run + 1, end: last,
                                        fractionOfGene: Double(run) / Double(gene.length)))
                    }
                    if value != 0 { run = 0 }
                }
            }
        }
        var notCovered: [Uncovered] = []
        for drug in sites.drugs {
            var count = 0
            var examples: [String] = []
            for site in sites.byDrug[drug] ?? [] {
                let d = depth.depths(site.range)
                let low = d.filter { $0 < minimumDepth }.count
                let untold = site.isLossOfFunction
                    ? Double(low) > lossOfFunctionTolerance * Double(d.count)
                    : low > 0
                guard untold else { continue }
                count += 1
                if examples.count < 5 {
                    examples.append(site.isLossOfFunction
                        ? "\(site.name) (\(low) of \(d.count) bases under \(minimumDepth)x)"
                        : "\(site.name) (depth \(d.min() ?? 0))")
                }
            }
            if count > 0 { notCovered.append(Uncovered(drug: drug, sites: count, examples: examples)) }
        }
        var warnings: [String] = []
        let fraction = all.isEmpty ? 0 : Double(covered) / Double(all.count)
        if overall < minimumDepth {
            warnings.append("median depth over the resistance loci is \(overall)x, under the \(minimumDepth)x floor: too few reads, or not M. tuberculosis complex")
        } else if fraction < 0.9 {
            warnings.append(String(format: "only %.0f%% of the resistance loci are covered at %dx or more", fraction * 100, minimumDepth))
        }
        let differences = variants.filter { $0.alleleFraction >= 0.5 }.count
        if covered >= 500, Double(differences) / Double(covered) > foreignDensity {
            warnings.append(String(format: "%d differences from H37Rv in %d covered locus bases (%.1f per 1,000; M. tuberculosis complex strains have under 1): the sample may not be M. tuberculosis complex, or may be contaminated",
                                   differences, covered, 1000 * Double(differences) / Double(covered)))
        }
        if let lineage, lineage.mixed {
            warnings.append("the lineage barcode suggests a mixed infection (\(lineage.heterozygousSites) mixed site(s)): minor variants may belong to a second strain")
        }
        for gap in gaps {
            warnings.append("no reads over \(gap.gene) \(gap.start)-\(gap.end) (\(gap.end - gap.start + 1) bases, \(String(format: "%.0f", gap.fractionOfGene * 100))% of the gene) while the sample is covered at \(overall)x: a possible large deletion")
        }
        return CoverageQC(minimumDepth: minimumDepth, medianDepth: overall, fractionCovered: fraction, loci: loci,
                          notCovered: notCovered, gaps: gaps, warnings: warnings)
    }

    static func median(_ values: [Int]) -> Int {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// The catalogue's grade 1-2 entries per drug with the H37Rv bases each one depends on.
public struct CatalogueSites: Sendable {
    /// One entry: its name, the bases a call needs, and whether it is a whole-gene loss-of-function rule.
    public struct Site: Sendable, Equatable {
        public var name: String
        public var range: ClosedRange<Int>
        public var isLossOfFunction: Bool
    }

    /// Sites by drug.
    public let byDrug: [String: [Site]]
    /// The drugs, sorted.
    public var drugs: [String] { byDrug.keys.sorted() }

    /// The sites of `catalogue` placed on `reference`'s genes; entries whose gene or position cannot be
    /// placed are left out (they cannot be checked either way).
    public init(catalogue: Catalogue, reference: Reference) {
        var genes: [String: Gene] = [:]
        for gene in reference.genes { genes[gene.name] = gene }
        var byDrug: [String: [Site]] = [:]
        var lossOfFunction = Set<String>()
        for entry in catalogue.allEntries where entry.grading.predictsResistance {
            guard let gene = genes[entry.gene] else { continue }
            if Catalogue.lossOfFunctionEffects.contains(entry.change) {
                // One site per gene and drug, whichever effects (frameshift, stop, deletion) the rules name.
                guard lossOfFunction.insert(entry.drug + "|" + entry.gene).inserted else { continue }
                byDrug[entry.drug, default: []].append(Site(name: "\(entry.gene) loss of function", range: gene.start...gene.end,
                                                            isLossOfFunction: true))
                continue
            }
            guard let local = Self.geneCoordinates(entry.change, gene: gene) else { continue }
            let a = gene.genomic(local.lowerBound), b = gene.genomic(local.upperBound)
            byDrug[entry.drug, default: []].append(Site(name: "\(entry.gene) \(entry.change)", range: min(a, b)...max(a, b),
                                                        isLossOfFunction: false))
        }
        self.byDrug = byDrug.mapValues { $0.sorted { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) } }
    }

    /// The gene coordinates (1 = the gene's first base, <= 0 upstream) an HGVS change touches:
    /// `p.Ser450Leu` -> the codon's three bases, `p.Phe425_Gly426del` -> both codons, `c.-777C>T`,
    /// `n.1401A>G`, `c.1349_1350insA`, `c.*3A>G` (downstream). Nil for a form it does not know.
    static func geneCoordinates(_ change: String, gene: Gene) -> ClosedRange<Int>? {
        let bytes = Array(change.utf8)
        guard bytes.count > 2, bytes[1] == UInt8(ascii: ".") else { return nil }
        var r = HGVSReader(bytes: bytes, at: 2)
        switch bytes[0] {
        case UInt8(ascii: "p"):
            guard r.aminoAcid() != nil, let first = r.number(), first >= 1 else { return nil }
            var last = first
            if r.take("_") {
                guard r.aminoAcid() != nil, let n = r.number(), n >= first else { return nil }
                last = n
            }
            return (3 * first - 2)...(3 * last)
        case UInt8(ascii: "c"), UInt8(ascii: "n"):
            guard let first = r.position(length: gene.length) else { return nil }
            var last = first
            if r.take("_"), let second = r.position(length: gene.length) { last = second }
            return min(first, last)...max(first, last)
        default:
            return nil
        }
    }
}
