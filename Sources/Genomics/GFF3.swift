import Inputs
/// One feature line of a GFF3 file.
public struct GFFFeature: Sendable, Equatable {
    /// Column 1: the sequence the feature is on.
    public var seqid: String
    /// Column 3: gene, CDS, rRNA, ...
    public var type: String
    /// 1-based first position.
    public var start: Int
    /// 1-based last position (inclusive).
    public var end: Int
    /// +1, -1, or 0 when unstranded or unknown.
    public var strand: Int
    /// Column 9, unescaped (`%2C` and friends decoded).
    public var attributes: [String: String]
    /// The line it came from.
    public var line: Int

    /// The `Name` attribute, else `ID`.
    public var name: String? { attributes["Name"] ?? attributes["ID"] }
}

/// GFF3 gene annotation: nine tab-separated columns; `##FASTA` ends the features.
public enum GFF3 {
    /// Reads every feature of the file at `path` (gzip or plain).
    public static func read(_ path: String, types: Set<String>? = nil) throws -> [GFFFeature] {
        try parse(try InputFile.bytes(path), file: path, types: types)
    }

    /// Parses GFF3 text; errors name `file`:line.
    /// Only features whose type is in `types` are kept (all when nil); the others are still checked for 9 columns.
    public static func parse(_ bytes: [UInt8], file: String = "<gff3>", types: Set<String>? = nil) throws -> [GFFFeature] {
        var features: [GFFFeature] = []
        try bytes.withUnsafeBufferPointer { buffer in
            try Lines.forEach(buffer) { number, line in
                if line.isEmpty { return true }
                if line[0] == UInt8(ascii: "#") {
                    // Directives and comments; an embedded ##FASTA section ends the features.
                    return !Lines.string(line).hasPrefix("##FASTA")
                }
                if let types {
                    // Skip unwanted types before building strings: find the third column's bytes.
                    var tab = 0, count = 0, typeStart = -1, typeEnd = -1
                    while tab < line.count {
                        if line[tab] == 0x09 {
                            count += 1
                            if count == 2 { typeStart = tab + 1 } else if count == 3 { typeEnd = tab; break }
                        }
                        tab += 1
                    }
                    if typeStart >= 0, typeEnd >= typeStart, !types.contains(Lines.string(line, typeStart, typeEnd)) {
                        var tabs = count
                        for i in (tab + 1)..<max(tab + 1, line.count) where line[i] == 0x09 { tabs += 1 }
                        guard tabs == 8 else {
                            throw GenomicsError(file: file, line: number,
                                                "\(tabs + 1) tab-separated columns; a GFF3 feature line has 9")
                        }
                        return true
                    }
                }
                let text = Lines.string(line)
                let columns = text.split(separator: "\t", omittingEmptySubsequences: false)
                guard columns.count == 9 else {
                    throw GenomicsError(file: file, line: number,
                                        "\(columns.count) tab-separated columns; a GFF3 feature line has 9")
                }
                if let types, !types.contains(String(columns[2])) { return true }
                guard let start = Int(columns[3]), let end = Int(columns[4]), start >= 1 else {
                    throw GenomicsError(file: file, line: number,
                                        "start '\(columns[3])' and end '\(columns[4])' must be positive integers")
                }
                guard end >= start else {
                    throw GenomicsError(file: file, line: number, "end \(end) is before start \(start)")
                }
                let strand: Int
                switch columns[6] {
                case "+": strand = 1
                case "-": strand = -1
                case ".", "?": strand = 0
                default:
                    throw GenomicsError(file: file, line: number, "strand '\(columns[6])' must be +, -, . or ?")
                }
                var attributes: [String: String] = [:]
                if columns[8] != "." {
                    for pair in columns[8].split(separator: ";", omittingEmptySubsequences: true) {
                        let kv = pair.split(separator: "=", maxSplits: 1)
                        guard kv.count == 2 else {
                            throw GenomicsError(file: file, line: number, "attribute '\(pair)' is not key=value")
                        }
                        attributes[unescape(kv[0])] = unescape(kv[1])
                    }
                }
                features.append(GFFFeature(seqid: String(columns[0]), type: String(columns[2]), start: start,
                                           end: end, strand: strand, attributes: attributes, line: number))
                return true
            }
        }
        return features
    }

    /// Decodes `%XX` escapes (GFF3 escapes ; = & , in attribute values).
    static func unescape(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
               let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(value)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
