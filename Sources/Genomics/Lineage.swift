import Foundation
import Inputs

/// One SNP of a lineage barcode: the lineage whose members carry `alleles` at `position`.
public struct BarcodeSite: Sendable, Hashable {
    /// H37Rv position, 1-based.
    public var position: Int
    /// The lineage the allele marks ("lineage4.3.4.2", "La1.8", "M.canetti").
    public var lineage: String
    /// The marking base(s), upper-case (an IUPAC code becomes its bases).
    public var alleles: Set<UInt8>
    /// The scheme the site belongs to: "tbdb" (TB-Profiler's barcode) or "coll2014" (Coll et al. 2014).
    public var scheme = Barcode.tbdb
}

/// What the barcode file says about a lineage besides its SNPs (TB-Profiler's columns 6-8).
public struct LineageInfo: Sendable, Hashable, Codable {
    /// The family ("Euro-American (LAM)"), spoligotype families ("LAM1;LAM4;LAM11") and region of difference ("RD174").
    public var family: String?, spoligotype: String?, rd: String?
}

/// The read counts of one barcode site in one sample.
public struct BarcodeObservation: Sendable, Hashable {
    /// Reads (or called alleles) carrying the site's allele, and all reads (alleles) at the site.
    public var target: Int, total: Int
    /// True when `total` counts reads (AD), false when it counts called alleles (GT) or a FASTA base.
    public var isDepth: Bool

    /// The fraction of the site's reads with the marking allele.
    public var fraction: Double { total > 0 ? Double(target) / Double(total) : 0 }
}

/// A lineage the barcode supports in a sample: the median fraction of its sites' reads that carry its alleles.
public struct LineageSupport: Sendable, Codable, Hashable {
    /// The lineage.
    public var lineage: String
    /// Median fraction over its observed sites (0...1).
    public var fraction: Double
    /// Its barcode sites observed in the sample, and of those the ones carrying its allele in most reads.
    public var sites: Int, present: Int
}

/// The lineage of one sample from the barcode, as TB-Profiler calls it.
public struct LineageCall: Sendable, Codable, Hashable {
    /// The main lineage ("lineage4"), or nil when no lineage is supported.
    public var main: String?
    /// The deepest consistent sub-lineage ("lineage4.3.4.2").
    public var sublineage: String?
    /// The sub-lineage's support: the median fraction of reads with its alleles.
    public var fraction: Double?
    /// The sub-lineage's family, spoligotype families and region of difference, when the barcode gives them.
    public var family: String?, spoligotype: String?, rd: String?
    /// Every lineage with support, deepest first within a path, strongest path first.
    public var lineages: [LineageSupport]
    /// Barcode sites observed, and those of them with both alleles in 10-90% of at least 10 reads.
    public var sitesObserved: Int, heterozygousSites: Int
    /// Median read depth at the observed barcode sites, when depths are known (a coverage check).
    public var medianDepth: Int?
    /// True when the barcode suggests more than one strain (a second lineage path, or many mixed sites).
    public var mixed: Bool
    /// What the reader should know: mixed infection, too few sites, only ALT sites observable.
    public var warnings: [String]
    /// The sub-lineage by the Coll et al. 2014 scheme (62 SNPs), and its support, when its sites were read.
    public var coll2014: String?, coll2014Fraction: Double?

    /// A call; `Barcode.call` makes them.
    public init(main: String? = nil, sublineage: String? = nil, fraction: Double? = nil, family: String? = nil,
                spoligotype: String? = nil, rd: String? = nil, lineages: [LineageSupport] = [], sitesObserved: Int = 0,
                heterozygousSites: Int = 0, medianDepth: Int? = nil, mixed: Bool = false, warnings: [String] = []) {
        self.main = main
        self.sublineage = sublineage
        self.fraction = fraction
        self.family = family
        self.spoligotype = spoligotype
        self.rd = rd
        self.lineages = lineages
        self.sitesObserved = sitesObserved
        self.heterozygousSites = heterozygousSites
        self.medianDepth = medianDepth
        self.mixed = mixed
        self.warnings = warnings
    }
}

/// The lineage barcode (TB-Profiler's `barcode.bed`: chrom, start, end, lineage, allele, family,
/// spoligotype, RD; tab-separated, 0-based start) and the caller over its sites.
///
/// The call follows TB-Profiler (pathogen-profiler `barcode`): a lineage is supported when at least
/// one of its sites has 5 reads and 2% with its allele, the interquartile range of its sites'
/// fractions is at most 0.15 and their median at least 0.02; its support is that median. Supported
/// lineages are joined into paths by their dotted names (lineage4 > lineage4.3 > lineage4.3.4); a
/// path may miss one level (a VCF holds only sites that differ from H37Rv, itself lineage4.9, so
/// lineage4's own sites are invisible in it), and its deepest member is the sub-lineage.
public struct Barcode: Sendable {
    /// The sites in file order.
    public let sites: [BarcodeSite]
    /// Per lineage, the family columns.
    public let info: [String: LineageInfo]
    /// Site indices by position.
    let byPosition: [Int: [Int]]

    /// Thresholds of the call (TB-Profiler's defaults).
    public var minimumSiteDepth = 5, minimumSitePercent = 0.02, maximumIQR = 0.15, minimumMedian = 0.02
    /// Levels a path may miss.
    public var maximumSkippedLevels = 1
    /// A second path at this support or more, or this many mixed sites, marks a mixed infection.
    public var mixedFraction = 0.10, mixedSites = 5

    /// A barcode from its sites and lineage columns.
    public init(sites: [BarcodeSite], info: [String: LineageInfo] = [:]) {
        self.sites = sites
        self.info = info
        var byPosition: [Int: [Int]] = [:]
        for (i, site) in sites.enumerated() { byPosition[site.position, default: []].append(i) }
        self.byPosition = byPosition
    }

    /// The two schemes' names.
    public static let tbdb = "tbdb", coll2014 = "coll2014"

    /// Reads `barcode.bed` of the TB data folder, and `lineage_coll2014.tsv` beside it when present.
    public static func load(data: TBData) throws -> Barcode {
        let path = try data.file("barcode.bed")
        let barcode = try parse(try InputFile.bytes(path), file: path)
        guard let coll = data.optionalFile("lineage_coll2014.tsv") else { return barcode }
        let extra = try parseColl2014(try InputFile.bytes(coll), file: coll)
        var info = barcode.info
        for site in extra where info[site.lineage] == nil { info[site.lineage] = LineageInfo() }
        return Barcode(sites: barcode.sites + extra, info: info)
    }

    /// Parses the Coll 2014 scheme as TB-Profiler ships it (lineage, position, REF/ALT, tag; tab-separated,
    /// `#` comments). The marking allele is ALT, except for lineages marked `**` (lineage4, lineage4.9:
    /// H37Rv's own lineages), which REF marks; the marks are dropped from the name.
    public static func parseColl2014(_ bytes: [UInt8], file: String) throws -> [BarcodeSite] {
        var sites: [BarcodeSite] = []
        for (index, raw) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let change = f.count >= 3 ? f[2].split(separator: "/").map { $0.uppercased() } : []
            guard f.count >= 3, let position = Int(f[1]), position >= 1, change.count == 2,
                  change.allSatisfy({ $0.count == 1 && "ACGT".contains($0) }) else {
                throw GenomicsError(file: file, line: index + 1, "a Coll 2014 line needs lineage, position and REF/ALT (one base each), tab-separated")
            }
            let own = f[0].hasSuffix("*")
            let name = String(f[0].reversed().drop { $0 == "*" }.reversed())
            guard !name.isEmpty else { throw GenomicsError(file: file, line: index + 1, "the lineage name is empty") }
            sites.append(BarcodeSite(position: position, lineage: name, alleles: Set(change[own ? 0 : 1].utf8), scheme: coll2014))
        }
        return sites
    }

    /// The lineage call of a sample by TB-Profiler's barcode, with the Coll 2014 sub-lineage beside it
    /// when the barcode holds that scheme's sites.
    public func lineage(_ observations: [Int: BarcodeObservation], variantsOnly: Bool = false) -> LineageCall {
        var call = self.call(observations, variantsOnly: variantsOnly, scheme: Self.tbdb)
        if sites.contains(where: { $0.scheme == Self.coll2014 }) {
            let coll = self.call(observations, variantsOnly: variantsOnly, scheme: Self.coll2014)
            call.coll2014 = coll.sublineage
            call.coll2014Fraction = coll.fraction
        }
        return call
    }

    /// Parses a barcode BED; every error names the line.
    public static func parse(_ bytes: [UInt8], file: String) throws -> Barcode {
        var sites: [BarcodeSite] = []
        var info: [String: LineageInfo] = [:]
        for (index, raw) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("track") { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5, let start = Int(f[1]), let end = Int(f[2]), start >= 0, end == start + 1 else {
                throw GenomicsError(file: file, line: index + 1, "a barcode line needs chrom, start, end (one base), lineage and allele, tab-separated")
            }
            let alleles = Self.iupac(f[4].uppercased())
            guard !f[3].isEmpty, !alleles.isEmpty else {
                throw GenomicsError(file: file, line: index + 1, "lineage '\(f[3])' with allele '\(f[4])': a lineage name and a base are needed")
            }
            sites.append(BarcodeSite(position: end, lineage: f[3], alleles: alleles))
            if info[f[3]] == nil {
                func column(_ i: Int) -> String? {
                    guard i < f.count else { return nil }
                    let v = f[i].trimmingCharacters(in: .whitespaces)
                    return ["", "None", "NA", "none"].contains(v) ? nil : v
                }
                info[f[3]] = LineageInfo(family: column(5), spoligotype: column(6), rd: column(7))
            }
        }
        guard !sites.isEmpty else { throw GenomicsError(file: file, "the barcode has no sites") }
        return Barcode(sites: sites, info: info)
    }

    /// The bases an IUPAC code stands for.
    static func iupac(_ code: String) -> Set<UInt8> {
        let table: [String: String] = ["A": "A", "C": "C", "G": "G", "T": "T", "R": "AG", "Y": "CT", "S": "GC", "W": "AT",
                                       "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT"]
        return Set((table[code] ?? "").utf8)
    }

    /// True when a barcode site lies at `position`.
    @inline(__always) public func contains(position: Int) -> Bool { byPosition[position] != nil }

    /// The positions of all sites.
    public var positions: Set<Int> { Set(byPosition.keys) }

    /// Adds the counts of a VCF record at a barcode position to `observations` (site index -> counts):
    /// `alleles` are REF then the ALTs, `counts` the reads (AD) or called copies (GT) of each.
    func observe(position: Int, alleles: [String], counts: [Int], isDepth: Bool, into observations: inout [Int: BarcodeObservation]) {
        guard let indices = byPosition[position] else { return }
        let total = counts.reduce(0, +)
        guard total > 0 else { return }
        for i in indices {
            var target = 0
            for (a, allele) in alleles.enumerated() where a < counts.count {
                if let base = allele.utf8.first, sites[i].alleles.contains(base & 0xDF) { target += counts[a] }
            }
            observations[i] = BarcodeObservation(target: target, total: total, isDepth: isDepth)
        }
    }

    /// Observations from assembled sequences: each site's 20 bases either side in H37Rv are looked up,
    /// on both strands, and the base between them is the sample's (a site whose flanks are not found
    /// is not observed).
    public func observe(fasta records: [FASTARecord], reference: [UInt8]) -> [Int: BarcodeObservation] {
        let flank = 20, width = 2 * flank + 1
        let mask: UInt128 = (UInt128(1) << (2 * width)) - 1
        let middle: UInt128 = UInt128(3) << (2 * flank)
        func code(_ b: UInt8) -> UInt128? {
            switch b & 0xDF { case 0x41: 0; case 0x43: 1; case 0x47: 2; case 0x54: 3; default: nil }
        }
        // Key: the 41-mer without its middle base; value: site index and strand.
        var keys: [UInt128: (site: Int, forward: Bool)] = [:]
        for (i, site) in sites.enumerated() {
            let lo = site.position - 1 - flank, hi = site.position - 1 + flank
            guard lo >= 0, hi < reference.count else { continue }
            var forward: UInt128 = 0, reverse: UInt128 = 0, ok = true
            for p in lo...hi {
                guard let c = code(reference[p]) else { ok = false; break }
                forward = (forward << 2) | c
                reverse |= (3 - c) << (2 * UInt128(p - lo))
            }
            guard ok else { continue }
            keys[forward & ~middle] = (i, true)
            keys[reverse & ~middle] = (i, false)
        }
        var observations: [Int: BarcodeObservation] = [:]
        for record in records {
            var window: UInt128 = 0, filled = 0
            for b in record.sequence {
                guard let c = code(b) else { filled = 0; window = 0; continue }
                window = ((window << 2) | c) & mask
                filled += 1
                guard filled >= width, let hit = keys[window & ~middle], observations[hit.site] == nil else { continue }
                let m = UInt8((window >> (2 * flank)) & 3)
                let base = Array("ACGT".utf8)[Int(hit.forward ? m : 3 - m)]
                observations[hit.site] = BarcodeObservation(target: sites[hit.site].alleles.contains(base) ? 1 : 0,
                                                            total: 1, isDepth: false)
            }
        }
        return observations
    }

    /// The lineage call from a sample's observations (site index -> counts); `variantsOnly` says the
    /// input lists only sites that differ from H37Rv (a VCF), which the warnings mention.
    public func call(_ all: [Int: BarcodeObservation], variantsOnly: Bool = false, scheme: String = Barcode.tbdb) -> LineageCall {
        let observations = all.filter { $0.key < sites.count && sites[$0.key].scheme == scheme }
        var byLineage: [String: [BarcodeObservation]] = [:]
        for (i, o) in observations where o.total > 0 { byLineage[sites[i].lineage, default: []].append(o) }
        var supported: [String: LineageSupport] = [:]
        for (lineage, rows) in byLineage {
            let good = rows.contains { $0.fraction >= minimumSitePercent && (!$0.isDepth || $0.total >= minimumSiteDepth) }
            guard good else { continue }
            let fractions = rows.map(\.fraction).sorted()
            // TB-Profiler's quantile: the value at index floor(n * q) of the sorted list.
            let iqr = fractions[min(fractions.count - 1, Int(Double(fractions.count) * 0.75))]
                - fractions[Int(Double(fractions.count) * 0.25)]
            let n = fractions.count
            let median = n % 2 == 1 ? fractions[n / 2] : (fractions[n / 2 - 1] + fractions[n / 2]) / 2
            guard iqr <= maximumIQR, median >= minimumMedian else { continue }
            supported[lineage] = LineageSupport(lineage: lineage, fraction: median, sites: n,
                                                present: rows.filter { $0.fraction > 0.5 }.count)
        }
        // Leaves: supported lineages that are no supported lineage's ancestor.
        let names = supported.keys.sorted()
        let leaves = names.filter { name in !names.contains { $0 != name && $0.hasPrefix(name + ".") } }
        var paths: [[LineageSupport]] = []
        for leaf in leaves {
            let parts = leaf.split(separator: ".")
            let ancestors = (1..<max(parts.count, 1)).map { parts.prefix($0).joined(separator: ".") }.filter { info[$0] != nil }
            let missing = ancestors.filter { supported[$0] == nil }.count
            guard missing <= maximumSkippedLevels else { continue }
            paths.append((ancestors.compactMap { supported[$0] } + [supported[leaf]!]).reversed())
        }
        paths.sort { ($0[0].fraction, $0.count, $1[0].lineage) > ($1[0].fraction, $1.count, $0[0].lineage) }
        let observed = observations.values.filter { $0.total > 0 }
        let heterozygous = observed.filter { $0.isDepth && $0.total >= 10 && $0.fraction >= 0.1 && $0.fraction <= 0.9 }.count
        let depths = observed.filter(\.isDepth).map(\.total).sorted()
        var call = LineageCall(main: nil, sublineage: nil, fraction: nil, family: nil, spoligotype: nil, rd: nil,
                               lineages: paths.flatMap { $0 }, sitesObserved: observed.count, heterozygousSites: heterozygous,
                               medianDepth: depths.isEmpty ? nil : depths[depths.count / 2], mixed: false, warnings: [])
        if let best = paths.first {
            let leaf = best[0]
            let parts = leaf.lineage.split(separator: ".")
            call.main = (1...parts.count).map { parts.prefix($0).joined(separator: ".") }.first { info[$0] != nil } ?? leaf.lineage
            call.sublineage = leaf.lineage
            call.fraction = leaf.fraction
            let details = info[leaf.lineage]
            call.family = details?.family
            call.spoligotype = details?.spoligotype
            call.rd = details?.rd
        } else if observed.isEmpty {
            call.warnings.append(variantsOnly
                ? "no lineage barcode site is in the input (an H37Rv-like lineage4.9 strain, or variants called only in the resistance genes)"
                : "no lineage barcode site was observed (too little coverage, or not M. tuberculosis complex)")
        } else {
            call.warnings.append("no lineage is consistently supported by the \(observed.count) barcode site(s) observed")
        }
        let others = paths.dropFirst().filter { $0[0].fraction >= mixedFraction }
        if !others.isEmpty || heterozygous >= mixedSites {
            call.mixed = true
            var why: [String] = []
            if !others.isEmpty {
                why.append("also " + others.map { "\($0[0].lineage) (\(String(format: "%.2f", $0[0].fraction)))" }.joined(separator: ", "))
            }
            if heterozygous >= mixedSites { why.append("\(heterozygous) barcode sites carry both alleles") }
            call.warnings.append("possible mixed infection: " + why.joined(separator: "; ")
                                 + " (heteroresistance and minor variants are likely; check the allele fractions)")
        }
        return call
    }
}
