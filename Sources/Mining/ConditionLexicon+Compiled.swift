import Foundation
import Inputs

/// The compiled lexicon as one binary file, so that a model loads it without deriving terms again.
///
/// Layout (little-endian): the magic `TRIAGELX`, a version (u32 = 1); the codes: a count (u32),
/// then per code billable (u8 0/1), the code (u8 length + UTF-8) and title (u16 length + UTF-8);
/// the terms: a count (u32), then per term its code's index (u32), source (u8: 0 title,
/// 1 inclusion, 2 synonym), text (u16 length + UTF-8; empty for a title term, which reads as its
/// code's title), word count (u8, 1 to 10) and the word hashes (u64 each); the stopword hashes: a count (u32) and the hashes; nothing after.
/// Sources read back carry no inclusion terms: their words are in the compiled terms.
extension ConditionLexicon {
    static let compiledMagic = Array("TRIAGELX".utf8), compiledVersion: UInt32 = 1

    /// Writes the compiled lexicon to `path`.
    public func writeCompiled(to path: String) throws {
        var out: [UInt8] = compiledMagicBytes()
        out.reserveCapacity(sources.count * 60 + terms.count * 60)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func text(_ s: String, max: Int, wide: Bool) {
            var bytes = Array(s.utf8)
            if bytes.count > max {
                // Cut at a character boundary.
                var n = max
                while n > 0 && bytes[n] & 0xC0 == 0x80 { n -= 1 }
                bytes = Array(bytes[..<n])
            }
            if wide { withUnsafeBytes(of: UInt16(bytes.count).littleEndian) { out += $0 } } else { out.append(UInt8(bytes.count)) }
            out += bytes
        }
        u32(ConditionLexicon.compiledVersion)
        u32(UInt32(sources.count))
        for s in sources {
            out.append(s.billable ? 1 : 0)
            text(s.code, max: 255, wide: false)
            text(s.title, max: 65_535, wide: true)
        }
        u32(UInt32(terms.count))
        for t in terms {
            u32(UInt32(t.code))
            out.append(t.source == .title ? 0 : t.source == .inclusion ? 1 : 2)
            text(t.source == .title && t.text == sources[Int(t.code)].title ? "" : t.text, max: 65_535, wide: true)
            out.append(UInt8(t.words.count))
            for w in t.words { u64(w) }
        }
        u32(UInt32(stopwords.count))
        for h in stopwords.sorted() { u64(h) }
        try Data(out).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private func compiledMagicBytes() -> [UInt8] { ConditionLexicon.compiledMagic }

    /// Reads a file written by `writeCompiled`; the file is untrusted: every count, index, length
    /// and string is checked, and an error names the file and the byte offset.
    public static func readCompiled(_ path: String, rules: LexiconRules) throws -> ConditionLexicon {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw InputError(file: path, "cannot be read: \(error.localizedDescription)")
        }
        guard data.count < 1 << 30 else { throw InputError(file: path, "is larger than 1 GB") }
        var reader = CompiledReader(bytes: [UInt8](data), path: path)
        guard Array(try reader.bytes(compiledMagic.count)) == compiledMagic else { throw reader.error("not a compiled lexicon (no TRIAGELX header)") }
        let version = try reader.u32()
        guard version == compiledVersion else { throw reader.error("version \(version), expected \(compiledVersion)") }
        let sourceCount = try reader.count(minimumBytes: 4)
        guard sourceCount > 0 else { throw reader.error("no codes") }
        var sources: [Source] = [], codeIndex: [String: Int] = [:]
        sources.reserveCapacity(sourceCount)
        for i in 0..<sourceCount {
            let billable = try reader.u8()
            guard billable <= 1 else { throw reader.error("billable must be 0 or 1") }
            let code = try reader.string(wide: false), title = try reader.string(wide: true)
            guard isCode(code), !title.isEmpty else { throw reader.error("code \(i + 1) is malformed or has no title") }
            guard codeIndex.updateValue(i, forKey: code) == nil else { throw reader.error("code \(code) appears twice") }
            sources.append(Source(code: code, title: title, billable: billable == 1))
        }
        let termCount = try reader.count(minimumBytes: 16)
        var terms: [Term] = []
        terms.reserveCapacity(termCount)
        for _ in 0..<termCount {
            let code = try reader.u32(), kind = try reader.u8(), text = try reader.string(wide: true), n = Int(try reader.u8())
            guard Int(code) < sourceCount else { throw reader.error("a term names code \(code + 1) of \(sourceCount)") }
            guard kind <= 2 else { throw reader.error("a term's source must be 0, 1 or 2") }
            guard (1...10).contains(n), !text.isEmpty || kind == 0 else { throw reader.error("a term must have text and 1 to 10 words") }
            var words: [UInt64] = []
            for _ in 0..<n { words.append(try reader.u64()) }
            terms.append(Term(code: Int32(code), text: text.isEmpty ? sources[Int(code)].title : text, source: kind == 0 ? .title : kind == 1 ? .inclusion : .synonym, words: words))
        }
        let stopCount = try reader.count(minimumBytes: 8)
        var stopwords = Set<UInt64>()
        for _ in 0..<stopCount { stopwords.insert(try reader.u64()) }
        guard reader.offset == reader.bytes.count else { throw reader.error("unexpected bytes after the stopwords") }
        return ConditionLexicon(sources: sources, rules: rules, terms: terms, anchors: anchors(of: terms),
                                stopwords: stopwords, codeIndex: codeIndex)
    }
}

/// A bounds-checked cursor over an untrusted file's bytes.
private struct CompiledReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    func error(_ reason: String) -> InputError { InputError(file: path, "\(reason) (at byte \(offset))") }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else { throw error("ends early") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u8() throws -> UInt8 { try bytes(1).first! }

    mutating func u32() throws -> UInt32 {
        try bytes(4).reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws -> UInt64 {
        try bytes(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// A count of records of at least `minimumBytes` each that the rest of the file can hold.
    mutating func count(minimumBytes: Int) throws -> Int {
        let n = Int(try u32())
        guard n <= (bytes.count - offset) / minimumBytes else { throw error("a count of \(n) exceeds the file") }
        return n
    }

    mutating func string(wide: Bool) throws -> String {
        let n = wide ? Int(try u8()) | Int(try u8()) << 8 : Int(try u8())
        guard let s = String(bytes: try bytes(n), encoding: .utf8) else { throw error("a string is not UTF-8") }
        return s
    }
}
