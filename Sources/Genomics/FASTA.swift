import Inputs
/// One FASTA record: its name (first word of the header), the rest of the header, and the sequence.
public struct FASTARecord: Sendable, Equatable {
    /// The first word after `>`.
    public var name: String
    /// The header after the name (may be empty).
    public var description: String
    /// The residues, upper-cased, line breaks removed (IUPAC letters, `-` and `*` kept).
    public var sequence: [UInt8]
    /// The line of the `>` header, for messages.
    public var line: Int

    /// A record with the given fields.
    public init(name: String, description: String = "", sequence: [UInt8], line: Int = 1) {
        self.name = name
        self.description = description
        self.sequence = sequence
        self.line = line
    }

    /// The sequence as text.
    public var sequenceString: String { String(decoding: sequence, as: UTF8.self) }
}

/// FASTA files: multi-record, wrapped or not, lower or upper case, gzip or plain.
public enum FASTA {
    /// Reads every record of the file at `path` (gzip recognised by its magic bytes).
    public static func read(_ path: String) throws -> [FASTARecord] {
        try parse(try InputFile.bytes(path), file: path)
    }

    /// Parses FASTA text. Errors name `file`:line: text before the first header,
    /// a header without a name, a character that is not a residue, a record without residues.
    public static func parse(_ bytes: [UInt8], file: String = "<fasta>") throws -> [FASTARecord] {
        var records: [FASTARecord] = []
        var current: FASTARecord?
        var sawContent = false
        try bytes.withUnsafeBufferPointer { buffer in
            try Lines.forEach(buffer) { number, line in
                if line.isEmpty { return true }
                if line[0] == UInt8(ascii: ">") {
                    if let done = current {
                        guard !done.sequence.isEmpty else {
                            throw GenomicsError(file: file, line: done.line, "record '\(done.name)' has no sequence")
                        }
                        records.append(done)
                    }
                    var i = 1
                    while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 }
                    var j = i
                    while j < line.count && line[j] != 0x20 && line[j] != 0x09 { j += 1 }
                    guard j > i else { throw GenomicsError(file: file, line: number, "a header ('>') without a name") }
                    var k = j
                    while k < line.count && (line[k] == 0x20 || line[k] == 0x09) { k += 1 }
                    current = FASTARecord(name: Lines.string(line, i, j),
                                          description: Lines.string(line, k, line.count),
                                          sequence: [], line: number)
                    sawContent = true
                    return true
                }
                if line[0] == UInt8(ascii: ";") && current == nil { return true }  // old-style comment
                guard var record = current else {
                    if !sawContent, line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return true }
                    throw GenomicsError(file: file, line: number,
                                        "sequence before the first '>' header: this is not a FASTA file")
                }
                current = nil  // keep the sequence uniquely referenced while appending (no reserveCapacity:
                defer { current = record }  // growing it line by line would copy it every line)
                for (column, byte) in line.enumerated() {
                    let upper = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                    if Residue.isAllowed(upper) {
                        record.sequence.append(upper)
                    } else if byte == 0x20 || byte == 0x09 {
                        continue
                    } else {
                        let shown = byte >= 0x21 && byte < 0x7F ? "'\(Character(UnicodeScalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
                        throw GenomicsError(file: file, line: number,
                                            "\(shown) at column \(column + 1) is not a nucleotide or amino-acid letter")
                    }
                }
                return true
            }
        }
        if let done = current {
            guard !done.sequence.isEmpty else {
                throw GenomicsError(file: file, line: done.line, "record '\(done.name)' has no sequence")
            }
            records.append(done)
        }
        guard !records.isEmpty else { throw GenomicsError(file: file, "no FASTA records (no line starts with '>')") }
        return records
    }
}

/// Residue letters.
enum Residue {
    /// Upper-case IUPAC nucleotide and amino-acid letters, gap `-` and stop `*`.
    static let allowed: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
        table[Int(UInt8(ascii: "-"))] = true
        table[Int(UInt8(ascii: "*"))] = true
        table[Int(UInt8(ascii: "."))] = true
        return table
    }()

    @inline(__always) static func isAllowed(_ byte: UInt8) -> Bool { allowed[Int(byte)] }

    /// The complement of an upper-case nucleotide (IUPAC codes too; others unchanged).
    static let complementTable: [UInt8] = {
        var table = (0..<256).map { UInt8($0) }
        let scalars: [(Unicode.Scalar, Unicode.Scalar)] = [("A", "T"), ("C", "G"), ("R", "Y"), ("K", "M"),
                                                           ("S", "S"), ("W", "W"), ("B", "V"), ("D", "H"), ("N", "N")]
        let pairs = scalars.map { (UInt8(ascii: $0.0), UInt8(ascii: $0.1)) }
        for (a, b) in pairs {
            table[Int(a)] = b
            table[Int(b)] = a
        }
        return table
    }()

    @inline(__always) static func complement(_ byte: UInt8) -> UInt8 { complementTable[Int(byte)] }

    /// The reverse complement of a nucleotide sequence.
    static func reverseComplement<S: BidirectionalCollection>(_ bases: S) -> [UInt8] where S.Element == UInt8 {
        bases.reversed().map { complementTable[Int($0)] }
    }
}
