import Archives
import Foundation
import Inputs
/// A `##contig` line of a VCF header.
public struct VCFContig: Sendable, Equatable {
    /// The contig's ID (e.g. NC_000962.3).
    public var id: String
    /// Its length, when the header gives one.
    public var length: Int?
    /// The header line it came from.
    public var line: Int
}

/// The header of a VCF file: version, contigs and sample names.
public struct VCFHeader: Sendable {
    /// The version from `##fileformat` (e.g. VCFv4.2).
    public var fileFormat: String
    /// The `##contig` lines in order.
    public var contigs: [VCFContig] = []
    /// The sample columns after FORMAT on the `#CHROM` line.
    public var sampleNames: [String] = []
    /// The `##FILTER` IDs the header declares.
    public var filters: [String] = []
}

/// One sample's call at a record: genotype, allele depths and depth (each may be missing).
public struct VCFCall: Sendable, Equatable {
    /// The allele indices of GT (0 = REF, 1... = ALTs), nil for `.`; empty when GT is absent.
    public var genotype: [Int?] = []
    /// True when GT uses `|`.
    public var phased = false
    /// AD: the read depth of REF then each ALT, when given (missing values count as 0).
    public var alleleDepths: [Int]?
    /// DP: the read depth at the site, when given.
    public var depth: Int?

    /// The fraction of reads supporting ALT number `alt` (1-based), from AD, when AD is usable.
    public func alleleFraction(alt: Int) -> Double? {
        guard let ad = alleleDepths, alt < ad.count else { return nil }
        let total = ad.reduce(0.0) { $0 + Double($1) }  // in Double: no overflow whatever AD holds
        guard total > 0 else { return nil }
        return Double(ad[alt]) / Double(total)
    }
}

/// One data line of a VCF file.
public struct VCFRecord: Sendable {
    /// The 1-based line in the file.
    public var line: Int
    /// CHROM.
    public var chrom: String
    /// POS, 1-based.
    public var position: Int
    /// ID (`.` when none).
    public var id: String
    /// REF bases, upper-cased.
    public var ref: String
    /// ALT alleles, upper-cased (`*`, `.` and symbolic `<...>` alleles kept as written).
    public var alternates: [String]
    /// QUAL, nil for `.`.
    public var quality: Double?
    /// FILTER values; empty for `.` (not filtered), `["PASS"]` when passed.
    public var filters: [String]
    /// INFO as written.
    public var info: String
    /// One call per sample column, in header order.
    public var calls: [VCFCall]

    /// True when FILTER is PASS or `.`.
    public var passed: Bool { filters.isEmpty || filters == ["PASS"] }

    /// The value of an INFO key (`nil` when absent; empty for a flag).
    public func infoValue(_ key: String) -> String? {
        for field in info.split(separator: ";", omittingEmptySubsequences: true) {
            if let eq = field.firstIndex(of: "=") {
                if field[..<eq] == key { return String(field[field.index(after: eq)...]) }
            } else if field == key {
                return ""
            }
        }
        return nil
    }
}

/// A whole VCF file.
public struct VCFFile: Sendable {
    /// Where it was read from (for messages).
    public var path: String
    /// Its header.
    public var header: VCFHeader
    /// Its data lines, in file order.
    public var records: [VCFRecord]
    /// Data lines read but not kept (outside the regions asked for).
    public var skipped = 0
    /// Records given to the parser's `onRecord` instead of kept in `records`.
    public var handedOver = 0
    /// Whether the file holds no data line at all (a header alone).
    public var isHeaderOnly: Bool { records.isEmpty && skipped == 0 && handedOver == 0 }
}

/// VCF 4.x: header, multi-allelic records, GT / AD / DP, FILTER, gzip.
public enum VCF {
    /// The largest read depth accepted in AD and DP: far past any sequencing run, small enough
    /// that sums of depths cannot overflow.
    public static let maximumDepth = 1_000_000_000

    /// Reads the VCF at `path` (gzip or plain; `-` for standard input).
    public static func read(_ path: String) throws -> VCFFile {
        try parse(try InputFile.bytes(path), file: path)
    }

    /// Parses VCF text; every error names `file`:line and what is wrong.
    public static func parse(_ bytes: [UInt8], file: String = "<vcf>") throws -> VCFFile {
        try parse(bytes, file: file, keep: nil)
    }

    /// Parses VCF text, building full records only for lines whose POS passes `keep`; the
    /// others are checked (columns, POS, and `checkRef` on the REF bytes of every fourth) and dropped.
    /// `checkRef(pos, ref)` returns an error message when REF is wrong.
    /// With `onRecord`, each kept record goes to it (after the header is read) instead of into `records`.
    public static func parse(_ bytes: [UInt8], file: String,
                             keep: ((Int) -> Bool)?,
                             checkRef: ((Int, UnsafeBufferPointer<UInt8>) -> String?)? = nil,
                             onRecord: ((VCFHeader, VCFRecord) throws -> Void)? = nil) throws -> VCFFile {
        try parse(lines: { body in try bytes.withUnsafeBufferPointer { try Lines.forEach($0, body) } },
                  file: file, keep: keep, checkRef: checkRef, onRecord: onRecord)
    }

    /// `parse(_:file:keep:checkRef:)` over a stream (a gzip or plain file read chunk by chunk) whose
    /// first bytes, already read, are `prefix`: memory holds the kept records, not the file.
    public static func parse(stream: ByteStream, prefix: Data = Data(), file: String,
                             keep: ((Int) -> Bool)?,
                             checkRef: ((Int, UnsafeBufferPointer<UInt8>) -> String?)? = nil,
                             onRecord: ((VCFHeader, VCFRecord) throws -> Void)? = nil) throws -> VCFFile {
        try parse(lines: { body in try Lines.forEach(stream: stream, prefix: prefix, file: file, body) },
                  file: file, keep: keep, checkRef: checkRef, onRecord: onRecord)
    }

    /// The parser, given a way to call it with each line.
    static func parse(lines: ((Int, UnsafeBufferPointer<UInt8>) throws -> Bool) throws -> Void, file: String,
                      keep: ((Int) -> Bool)?,
                      checkRef: ((Int, UnsafeBufferPointer<UInt8>) -> String?)?,
                      onRecord: ((VCFHeader, VCFRecord) throws -> Void)?) throws -> VCFFile {
        var kept = 0
        var header = VCFHeader(fileFormat: "")
        var records: [VCFRecord] = []
        var sawColumns = false
        var skipped = 0
        do {
            try lines { number, line in
                if number == 1 {
                    let text = Lines.string(line)
                    guard text.hasPrefix("##fileformat=VCFv4") else {
                        if text.hasPrefix("##fileformat=") {
                            throw GenomicsError(file: file, line: 1, "\(text.dropFirst(13)) is not supported; VCF 4.0 to 4.x is")
                        }
                        throw GenomicsError(file: file, line: 1, "not a VCF file: the first line must be ##fileformat=VCFv4.x")
                    }
                    header.fileFormat = String(text.dropFirst(13))
                    return true
                }
                if line.isEmpty { return true }
                if line[0] == UInt8(ascii: "#") {
                    guard !sawColumns else {
                        throw GenomicsError(file: file, line: number, "a header line after the #CHROM line")
                    }
                    let text = Lines.string(line)
                    if text.hasPrefix("##contig=<") {
                        header.contigs.append(try contig(text, file: file, line: number))
                    } else if text.hasPrefix("##FILTER=<"), let id = structuredValue(text, key: "ID") {
                        header.filters.append(id)
                    } else if text.hasPrefix("#CHROM") {
                        let columns = text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                        let expected = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
                        guard columns.count >= 8, Array(columns[0..<8]) == expected else {
                            throw GenomicsError(file: file, line: number,
                                                "the column line must be tab-separated #CHROM POS ID REF ALT QUAL FILTER INFO [FORMAT samples...]")
                        }
                        if columns.count > 8 {
                            guard columns[8] == "FORMAT" else {
                                throw GenomicsError(file: file, line: number, "the ninth column must be FORMAT, not '\(columns[8])'")
                            }
                            header.sampleNames = Array(columns[9...])
                        }
                        sawColumns = true
                    }
                    return true
                }
                guard sawColumns else {
                    throw GenomicsError(file: file, line: number, "a data line before the #CHROM header line")
                }
                if let keep {
                    // Fast path: find POS and REF without building strings.
                    var tab1 = 0
                    while tab1 < line.count && line[tab1] != 0x09 { tab1 += 1 }
                    var tab2 = tab1 + 1
                    while tab2 < line.count && line[tab2] != 0x09 { tab2 += 1 }
                    var tab3 = tab2 + 1
                    while tab3 < line.count && line[tab3] != 0x09 { tab3 += 1 }
                    var tab4 = tab3 + 1
                    while tab4 < line.count && line[tab4] != 0x09 { tab4 += 1 }
                    if tab4 < line.count, let pos = Lines.integer(line, tab1 + 1, tab2), pos > 0, !keep(pos) {
                        // REF of records outside the kept regions is checked on every fourth line: a VCF on
                        // another reference disagrees almost everywhere, and each check is a cache miss.
                        skipped += 1
                        if skipped & 3 == 1, let checkRef, let base = line.baseAddress,
                           let problem = checkRef(pos, UnsafeBufferPointer(start: base + tab3 + 1, count: tab4 - tab3 - 1)) {
                            throw GenomicsError(file: file, line: number, problem)
                        }
                        return true
                    }
                }
                let parsed = try record(line, number: number, samples: header.sampleNames.count, file: file)
                kept += 1
                if let onRecord { try onRecord(header, parsed) } else { records.append(parsed) }
                return true
            }
        } catch let error as ArchiveError {
            throw GenomicsError(file: file, error.reason)
        }
        guard !header.fileFormat.isEmpty else { throw GenomicsError(file: file, "the file is empty, not a VCF file") }
        guard sawColumns else { throw GenomicsError(file: file, "no #CHROM header line: the VCF header is incomplete") }
        return VCFFile(path: file, header: header, records: records, skipped: skipped, handedOver: records.isEmpty ? kept : 0)
    }

    /// A value in a structured header line such as `##contig=<ID=x,length=5>`.
    static func structuredValue(_ text: String, key: String) -> String? {
        guard let open = text.firstIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close else { return nil }
        for part in text[text.index(after: open)..<close].split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 && pair[0] == key { return String(pair[1]) }
        }
        return nil
    }

    static func contig(_ text: String, file: String, line: Int) throws -> VCFContig {
        guard let id = structuredValue(text, key: "ID"), !id.isEmpty else {
            throw GenomicsError(file: file, line: line, "a ##contig line without ID")
        }
        var length: Int?
        if let value = structuredValue(text, key: "length") {
            guard let parsed = Int(value), parsed > 0 else {
                throw GenomicsError(file: file, line: line, "contig \(id) has length '\(value)', not a positive integer")
            }
            length = parsed
        }
        return VCFContig(id: id, length: length, line: line)
    }

    /// Parses one data line (tab-separated, at least 8 columns).
    static func record(_ line: UnsafeBufferPointer<UInt8>, number: Int, samples: Int, file: String) throws -> VCFRecord {
        // A kept record's fields become strings: a NUL or bytes that are not UTF-8 are refused, not
        // turned into U+FFFD.
        if line.contains(0) || String(validating: line, as: UTF8.self) == nil {
            throw GenomicsError(file: file, line: number, "the line is not UTF-8 text (invalid bytes or a NUL byte)")
        }
        var tabs: [Int] = []
        tabs.reserveCapacity(9 + samples)
        for i in 0..<line.count where line[i] == 0x09 { tabs.append(i) }
        let fieldCount = tabs.count + 1
        guard fieldCount >= 8 else {
            throw GenomicsError(file: file, line: number, "\(fieldCount) tab-separated columns; a VCF data line has at least 8")
        }
        let expectedFields = samples > 0 ? 9 + samples : 8
        if fieldCount != expectedFields && !(samples == 0 && fieldCount == 8) {
            throw GenomicsError(file: file, line: number,
                                "\(fieldCount) columns where the header promises \(expectedFields) (\(samples) sample\(samples == 1 ? "" : "s"))")
        }
        func field(_ k: Int) -> (Int, Int) {
            (k == 0 ? 0 : tabs[k - 1] + 1, k < tabs.count ? tabs[k] : line.count)
        }
        let (c0, c1) = field(0)
        let chrom = Lines.string(line, c0, c1)
        let (p0, p1) = field(1)
        guard let position = Lines.integer(line, p0, p1), position > 0 else {
            throw GenomicsError(file: file, line: number, "POS '\(Lines.string(line, p0, p1))' is not a positive integer")
        }
        let (i0, i1) = field(2)
        let (r0, r1) = field(3)
        let ref = Lines.string(line, r0, r1).uppercased()
        guard !ref.isEmpty, ref.utf8.allSatisfy({ Bases.isNucleotide($0) }) else {
            throw GenomicsError(file: file, line: number, "REF '\(Lines.string(line, r0, r1))' is not a run of A, C, G, T, N")
        }
        let (a0, a1) = field(4)
        let alternates = Lines.string(line, a0, a1).split(separator: ",", omittingEmptySubsequences: false).map {
            $0.first == "<" ? String($0) : $0.uppercased()
        }
        for alt in alternates where alt.isEmpty {
            throw GenomicsError(file: file, line: number, "an empty ALT allele (ALT '\(Lines.string(line, a0, a1))')")
        }
        // Each ALT is a distinct allele (AD, GT and AF index them): a repeated one makes those indices ambiguous.
        if alternates.count > 1, Set(alternates).count < alternates.count {
            let repeated = Dictionary(grouping: alternates, by: { $0 }).first { $0.value.count > 1 }?.key ?? ""
            throw GenomicsError(file: file, line: number,
                                "ALT lists allele \(repeated.prefix(40)) more than once (\(alternates.count) alleles, \(Set(alternates).count) distinct)")
        }
        let (q0, q1) = field(5)
        let qualText = Lines.string(line, q0, q1)
        var quality: Double?
        if qualText != "." {
            guard let q = DecimalNumber.parse(qualText) else {
                throw GenomicsError(file: file, line: number, "QUAL '\(qualText)' is not a number or '.'")
            }
            quality = q
        }
        let (f0, f1) = field(6)
        let filterText = Lines.string(line, f0, f1)
        let filters = filterText == "." ? [] : filterText.split(separator: ";").map(String.init)
        let (n0, n1) = field(7)
        var calls: [VCFCall] = []
        if samples > 0 {
            let (k0, k1) = field(8)
            let keys = Lines.string(line, k0, k1).split(separator: ":").map(String.init)
            let gtIndex = keys.firstIndex(of: "GT")
            let adIndex = keys.firstIndex(of: "AD")
            let dpIndex = keys.firstIndex(of: "DP")
            calls.reserveCapacity(samples)
            for s in 0..<samples {
                let (s0, s1) = field(9 + s)
                let values = Lines.string(line, s0, s1).split(separator: ":", omittingEmptySubsequences: false)
                guard values.count <= max(keys.count, 1) else {
                    throw GenomicsError(file: file, line: number,
                                        "sample \(s + 1) has \(values.count) values for \(keys.count) FORMAT keys")
                }
                var call = VCFCall()
                if let g = gtIndex, g < values.count {
                    call = try genotype(values[g], alleles: alternates.count, file: file, line: number)
                }
                if let a = adIndex, a < values.count, values[a] != "." {
                    var depths: [Int] = []
                    for part in values[a].split(separator: ",", omittingEmptySubsequences: false) {
                        if part == "." { depths.append(0); continue }
                        guard let d = Int(part), d >= 0, d <= maximumDepth else {
                            throw GenomicsError(file: file, line: number, "AD '\(values[a])' is not a list of depths (0 to \(maximumDepth))")
                        }
                        depths.append(d)
                        // AD is Number=R: one depth for REF and one per ALT, no more.
                        guard depths.count <= alternates.count + 1 else { break }
                    }
                    guard depths.count <= alternates.count + 1 else {
                        let count = values[a].split(separator: ",", omittingEmptySubsequences: false).count
                        throw GenomicsError(file: file, line: number, "sample \(s + 1)'s AD has \(count) values; REF and \(alternates.count) "
                                            + "ALT allele\(alternates.count == 1 ? "" : "s") need \(alternates.count + 1)")
                    }
                    // ALT "." is no allele (a site matching REF, as `bcftools call -A` writes the barcode
                    // sites of reads): its one AD value is REF's depth, and the "." allele has no reads.
                    if depths.count == 1, alternates == ["."] { depths.append(0) }
                    // Fewer values is not Number=R (VarScan's AD holds the ALT depth alone, with RD for
                    // REF): which allele each depth belongs to is unknown, so AD is not used.
                    call.alleleDepths = depths.count == alternates.count + 1 ? depths : nil
                }
                if let d = dpIndex, d < values.count, values[d] != "." {
                    guard let depth = Int(values[d]), depth >= 0, depth <= maximumDepth else {
                        throw GenomicsError(file: file, line: number, "DP '\(values[d])' is not a depth (0 to \(maximumDepth))")
                    }
                    call.depth = depth
                }
                calls.append(call)
            }
        }
        return VCFRecord(line: number, chrom: chrom, position: position, id: Lines.string(line, i0, i1),
                         ref: ref, alternates: alternates, quality: quality, filters: filters,
                         info: Lines.string(line, n0, n1), calls: calls)
    }

    static func genotype(_ text: Substring, alleles: Int, file: String, line: Int) throws -> VCFCall {
        var call = VCFCall()
        if text == "." || text.isEmpty { return call }
        call.phased = text.utf8.contains(UInt8(ascii: "|"))
        for part in text.split(whereSeparator: { $0 == "/" || $0 == "|" }) {
            if part == "." { call.genotype.append(nil); continue }
            guard let index = Int(part), index >= 0, index <= alleles else {
                throw GenomicsError(file: file, line: line,
                                    "GT '\(text)' names allele \(part), but the record has \(alleles) ALT allele\(alleles == 1 ? "" : "s")")
            }
            call.genotype.append(index)
        }
        return call
    }
}

/// Nucleotide letters.
enum Bases {
    @inline(__always) static func isNucleotide(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41, 0x43, 0x47, 0x54, 0x4E, 0x61, 0x63, 0x67, 0x74, 0x6E: return true
        default: return false
        }
    }
}
