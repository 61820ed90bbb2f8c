/// The bacterial genetic code (NCBI table 11) and amino-acid names.
public enum GeneticCode {
    /// One-letter amino acids of the 64 codons, index = 16*b1 + 4*b2 + b3 with T=0, C=1, A=2, G=3.
    static let table: [UInt8] = Array("FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG".utf8)

    /// The 2-bit code of a base (T=0, C=1, A=2, G=3), or -1 for anything else.
    @inline(__always) static func code(_ base: UInt8) -> Int {
        switch base {
        case 0x54: return 0
        case 0x43: return 1
        case 0x41: return 2
        case 0x47: return 3
        default: return -1
        }
    }

    /// The one-letter amino acid of a codon (`*` for stop, `X` when a base is ambiguous).
    @inline(__always) public static func translate(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
        let x = code(a), y = code(b), z = code(c)
        guard x >= 0, y >= 0, z >= 0 else { return UInt8(ascii: "X") }
        return table[16 * x + 4 * y + z]
    }

    /// The protein of `bases` read in frame from the start, up to and including the first stop when `toStop`.
    public static func translate(_ bases: ArraySlice<UInt8>, toStop: Bool) -> [UInt8] {
        var protein: [UInt8] = []
        protein.reserveCapacity(bases.count / 3)
        var i = bases.startIndex
        while i + 2 < bases.endIndex {
            let aa = translate(bases[i], bases[i + 1], bases[i + 2])
            protein.append(aa)
            if toStop && aa == UInt8(ascii: "*") { break }
            i += 3
        }
        return protein
    }

    /// The start codons of NCBI table 11: TTG CTG ATT ATC ATA ATG GTG.
    @inline(__always) static func isStart(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Bool {
        let T: UInt8 = 0x54, G: UInt8 = 0x47, A: UInt8 = 0x41, C: UInt8 = 0x43
        if b == T && c == G { return a == T || a == C || a == A || a == G }  // TTG CTG ATG GTG
        return a == A && b == T && (c == T || c == C || c == A)              // ATT ATC ATA
    }

    static let threeLetter: [UInt8: String] = [
        UInt8(ascii: "A"): "Ala", UInt8(ascii: "R"): "Arg", UInt8(ascii: "N"): "Asn", UInt8(ascii: "D"): "Asp",
        UInt8(ascii: "C"): "Cys", UInt8(ascii: "Q"): "Gln", UInt8(ascii: "E"): "Glu", UInt8(ascii: "G"): "Gly",
        UInt8(ascii: "H"): "His", UInt8(ascii: "I"): "Ile", UInt8(ascii: "L"): "Leu", UInt8(ascii: "K"): "Lys",
        UInt8(ascii: "M"): "Met", UInt8(ascii: "F"): "Phe", UInt8(ascii: "P"): "Pro", UInt8(ascii: "S"): "Ser",
        UInt8(ascii: "T"): "Thr", UInt8(ascii: "W"): "Trp", UInt8(ascii: "Y"): "Tyr", UInt8(ascii: "V"): "Val",
        UInt8(ascii: "*"): "*", UInt8(ascii: "X"): "Xaa",
    ]

    /// The three-letter name of a one-letter amino acid (`*` stays `*`).
    @inline(__always) public static func name(_ aa: UInt8) -> String { threeLetter[aa] ?? "Xaa" }

    /// The three-letter names of a run of amino acids, concatenated.
    static func names<S: Sequence>(_ aas: S) -> String where S.Element == UInt8 { aas.map(name).joined() }
}
