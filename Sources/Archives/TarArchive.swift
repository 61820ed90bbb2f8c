import Foundation

/// One regular file inside a tar archive.
public struct TarEntry: Sendable {
    /// The member's path inside the archive.
    public let name: String
    /// The member's bytes.
    public let data: Data
    /// What is odd about the member's header (a name that is not UTF-8 or has bytes past a NUL),
    /// for a warning naming it; the member is read all the same.
    public var warning: String? = nil
}

/// Reads the regular files of a POSIX (ustar) or GNU tar archive held in memory.
///
/// Directories, links and other special members are skipped; GNU long names
/// (`L` records) and pax path headers (`x` records) are honoured.
public struct TarArchive: Sequence {
    /// The uncompressed archive bytes.
    public let data: Data
    /// Where the archive came from, for error messages.
    public let origin: String?

    /// An archive over `data`; pass `.tgz` contents through `Gzip.decompress` first.
    public init(data: Data, origin: String? = nil) {
        self.data = data
        self.origin = origin
    }

    /// All regular files, or an error naming the member where the archive breaks.
    public func entries() throws -> [TarEntry] {
        var iterator = makeIterator()
        var result: [TarEntry] = []
        while let entry = try iterator.nextEntry() { result.append(entry) }
        return result
    }

    public func makeIterator() -> Iterator { Iterator(archive: self) }

    /// Walks the members; `next()` stops at the first error, `nextEntry()` throws it.
    public struct Iterator: IteratorProtocol {
        let archive: TarArchive
        var offset = 0
        var pending = Pending()
        /// The error that ended iteration through `next()`, if any.
        public private(set) var error: ArchiveError?

        init(archive: TarArchive) { self.archive = archive }

        public mutating func next() -> TarEntry? {
            do { return try nextEntry() } catch let e as ArchiveError { error = e; return nil } catch { return nil }
        }

        /// The next regular file, nil at the end of the archive.
        public mutating func nextEntry() throws -> TarEntry? {
            let bytes = archive.data
            let base = bytes.startIndex
            while true {
                if offset + 512 > bytes.count {
                    if offset >= bytes.count { return nil }  // some writers omit the end blocks
                    throw ArchiveError(file: archive.origin, "tar archive is truncated at byte \(offset)")
                }
                guard var header = try TarArchive.header(bytes[(base + offset)..<(base + offset + 512)], at: offset,
                                                         origin: archive.origin) else { return nil }
                pending.apply(to: &header)
                let start = offset + 512
                guard header.size <= bytes.count - start else {
                    throw ArchiveError(file: archive.origin, "tar member \(header.name) is truncated (needs \(header.size) bytes)")
                }
                let body = bytes[(base + start)..<(base + start + header.size)]
                offset = start + header.paddedSize
                if let entry = try header.entry(body: body, pending: &pending, origin: archive.origin) { return entry }
            }
        }

        static func string(_ header: Data.SubSequence, _ at: Int, _ length: Int) -> String {
            let field = header[(header.startIndex + at)..<(header.startIndex + at + length)]
            return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
        }

        static func octal(_ header: Data.SubSequence, _ at: Int, _ length: Int) -> Int? {
            let field = header[(header.startIndex + at)..<(header.startIndex + at + length)]
            if let first = field.first, first & 0x80 != 0 {  // GNU base-256 for large sizes
                guard first & 0x40 == 0 else { return nil }  // a negative size
                var value = Int(first & 0x3F)
                for byte in field.dropFirst() {
                    guard value <= Int.max >> 8 else { return nil }  // more than any archive holds
                    value = value << 8 | Int(byte)
                }
                return value
            }
            var value = 0
            var seen = false
            for byte in field {
                if byte == 0 || byte == 0x20 { if seen { break } else { continue } }
                guard byte >= 0x30 && byte <= 0x37 else { return nil }
                value = value * 8 + Int(byte - 0x30)
                seen = true
            }
            return value
        }

        static func checksumMatches(_ header: Data.SubSequence) -> Bool {
            guard let stored = octal(header, 148, 8) else { return false }
            var sum = 0
            for (i, byte) in header.enumerated() {
                sum += (i >= 148 && i < 156) ? 0x20 : Int(byte)
            }
            return sum == stored
        }
    }

    /// What a GNU long-name record or a pax extended header says about the member after it.
    struct Pending {
        var name: String?
        var size: Int?

        /// The next member's header with the pax size (which overrides the header's, as POSIX says).
        mutating func apply(to header: inout Header) {
            if let size { header.size = size }
            self.size = nil
        }
    }

    /// A parsed member header.
    struct Header {
        var name: String
        var size: Int
        var type: UInt8
        /// What is odd about the name field, for a warning.
        var nameProblem: String?
        /// The size rounded up to whole 512-byte blocks.
        var paddedSize: Int { (size + 511) / 512 * 512 }

        /// The member as a regular file (nil for long-name, pax, directory and other records, which
        /// may set the name and size of the next member).
        func entry(body: Data.SubSequence, pending: inout Pending, origin: String?) throws -> TarEntry? {
            switch type {
            case UInt8(ascii: "L"):  // GNU long name for the next member
                pending.name = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "x"):  // pax extended header: records "LENGTH key=value\n"
                guard let records = TarArchive.paxRecords(body) else {
                    throw ArchiveError(file: origin, "a pax extended header is malformed "
                                       + "(a record's length does not match its text)")
                }
                for (key, value) in records {
                    switch key {
                    case "path": pending.name = value
                    case "size":
                        // Digits only, within what a file can hold: 20 digits or "-100" is a damaged header.
                        guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let size = Int(value), size < 1 << 50 else {
                            throw ArchiveError(file: origin, "a pax extended header gives the next member the size '\(value.prefix(30))', "
                                               + "not a size (0 to 2^50 bytes)")
                        }
                        pending.size = size
                    default: break
                    }
                }
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                let finalName = pending.name ?? name
                let problem = pending.name == nil ? nameProblem : nil
                pending = Pending()
                return TarEntry(name: finalName, data: Data(body), warning: problem)
            default:
                pending = Pending()  // directories, links, devices: skipped
            }
            return nil
        }
    }

    /// The key-value records of a pax extended header ("LENGTH key=value\n" each); nil when a
    /// record is malformed (its length runs past the header or does not end at a newline).
    static func paxRecords(_ body: Data.SubSequence) -> [(String, String)]? {
        var out: [(String, String)] = []
        let bytes = [UInt8](body)
        var at = 0
        while at < bytes.count {
            guard let space = bytes[at...].firstIndex(of: 0x20), space > at,
                  let length = Int(String(decoding: bytes[at..<space], as: UTF8.self)), length > space - at + 1,
                  at + length <= bytes.count, bytes[at + length - 1] == 0x0A else { return nil }
            let record = bytes[(space + 1)..<(at + length - 1)]
            if let equals = record.firstIndex(of: 0x3D) {
                out.append((String(decoding: record[..<equals], as: UTF8.self), String(decoding: record[(equals + 1)...], as: UTF8.self)))
            }
            at += length
        }
        return out
    }

    /// The header block at byte `offset`, nil for the zero block that ends the archive.
    static func header(_ block: Data.SubSequence, at offset: Int, origin: String?) throws -> Header? {
        if block.allSatisfy({ $0 == 0 }) { return nil }
        guard let size = Iterator.octal(block, 124, 12) else {
            throw ArchiveError(file: origin, "bad tar header at byte \(offset) (size field)")
        }
        if !Iterator.checksumMatches(block) {
            throw ArchiveError(file: origin, "bad tar header checksum at byte \(offset)")
        }
        var name = Iterator.string(block, 0, 100)
        var fields = [block[(block.startIndex)..<(block.startIndex + 100)]]
        if Iterator.string(block, 257, 6).hasPrefix("ustar") {
            let prefix = Iterator.string(block, 345, 155)
            if !prefix.isEmpty { name = prefix + "/" + name }
            fields.append(block[(block.startIndex + 345)..<(block.startIndex + 500)])
        }
        // A name ends at its first NUL; bytes after it, or bytes that are not UTF-8, mean the name
        // read is not the one written (latin-1 from an old system, or a damaged header).
        var problem: String?
        for field in fields {
            let used = field.prefix { $0 != 0 }
            if field.dropFirst(used.count).contains(where: { $0 != 0 }) {
                problem = "the member name has bytes after a NUL byte; read as '\(name)'"
            } else if String(validating: used, as: UTF8.self) == nil {
                problem = "the member name is not UTF-8 (latin-1?); read as '\(name)'"
            }
        }
        return Header(name: name, size: size, type: block[block.startIndex + 156], nameProblem: problem)
    }
}

/// Reads the regular files of a tar archive from a `ByteStream`, one member in memory at a time:
/// a 10 GB archive is read in the memory of its largest member.
public struct TarStream {
    /// The archive's bytes, gunzipped when it is a .tgz.
    let source: ByteStream
    /// Where the archive came from, for error messages.
    public let origin: String?
    /// Members larger than this are skipped (`Member.tooLarge`), not read into memory.
    public let maximumMemberSize: Int
    private var offset = 0
    private var pending = TarArchive.Pending()
    /// Set when the last member's padding was cut: the next call reports the truncation.
    private var truncatedAt: Int?

    /// One member: a regular file, one too large to read, or a link (never followed: it may point
    /// anywhere on the reader's disk).
    public enum Member {
        case file(TarEntry)
        case tooLarge(name: String, size: Int)
        case link(name: String)
    }

    /// A reader over `source`.
    public init(_ source: ByteStream, origin: String?, maximumMemberSize: Int) {
        self.source = source
        self.origin = origin
        self.maximumMemberSize = maximumMemberSize
    }

    /// The next member, nil at the end of the archive; throws where the archive breaks.
    public mutating func next() throws -> Member? {
        if let at = truncatedAt { throw ArchiveError(file: origin, "tar archive is truncated at byte \(at) (inside the last member's padding)") }
        while true {
            let block = try source.read(512)
            if block.isEmpty { return nil }  // some writers omit the end blocks
            guard block.count == 512 else { throw ArchiveError(file: origin, "tar archive is truncated at byte \(offset)") }
            guard var header = try TarArchive.header(block[...], at: offset, origin: origin) else { return nil }
            pending.apply(to: &header)
            offset += 512
            if header.size > maximumMemberSize {
                guard try source.skip(header.paddedSize) else {
                    throw ArchiveError(file: origin, "tar member \(header.name) is truncated (needs \(header.size) bytes)")
                }
                offset += header.paddedSize
                let isFile = [UInt8(ascii: "0"), 0, UInt8(ascii: "7")].contains(header.type)
                let name = pending.name ?? header.name
                pending = TarArchive.Pending()
                if isFile { return .tooLarge(name: name, size: header.size) }
                continue
            }
            let body = try source.read(header.paddedSize)
            guard body.count >= header.size else {
                throw ArchiveError(file: origin, "tar member \(header.name) is truncated (needs \(header.size) bytes)")
            }
            // A tar file is whole 512-byte blocks: a member whose padding is cut is read, and the
            // truncation reported after it (the end blocks, by contrast, some writers omit).
            if body.count < header.paddedSize { truncatedAt = offset + body.count }
            offset += header.paddedSize
            if header.type == UInt8(ascii: "1") || header.type == UInt8(ascii: "2") {
                let name = pending.name ?? header.name
                pending = TarArchive.Pending()
                return .link(name: name)
            }
            if let entry = try header.entry(body: body.prefix(header.size), pending: &pending, origin: origin) { return .file(entry) }
        }
    }
}
