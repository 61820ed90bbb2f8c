import Foundation

/// One regular file inside a tar archive.
public struct TarEntry: Sendable {
    /// The member's path inside the archive.
    public let name: String
    /// The member's bytes.
    public let data: Data
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
        var pendingName: String?
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
                let header = bytes[(base + offset)..<(base + offset + 512)]
                if header.allSatisfy({ $0 == 0 }) { return nil }
                guard let size = Self.octal(header, 124, 12) else {
                    throw ArchiveError(file: archive.origin, "bad tar header at byte \(offset) (size field)")
                }
                if !Self.checksumMatches(header) {
                    throw ArchiveError(file: archive.origin, "bad tar header checksum at byte \(offset)")
                }
                let type = header[header.startIndex + 156]
                var name = Self.string(header, 0, 100)
                let magic = Self.string(header, 257, 6)
                if magic.hasPrefix("ustar") {
                    let prefix = Self.string(header, 345, 155)
                    if !prefix.isEmpty { name = prefix + "/" + name }
                }
                let start = offset + 512
                guard size <= bytes.count - start else {
                    throw ArchiveError(file: archive.origin, "tar member \(name) is truncated (needs \(size) bytes)")
                }
                let body = bytes[(base + start)..<(base + start + size)]
                offset = start + (size + 511) / 512 * 512
                switch type {
                case UInt8(ascii: "L"):  // GNU long name for the next member
                    pendingName = String(decoding: body.prefix { $0 != 0 }, as: UTF8.self)
                case UInt8(ascii: "x"):  // pax extended header: look for path=
                    let text = String(decoding: body, as: UTF8.self)
                    for line in text.split(separator: "\n") {
                        if let range = line.range(of: " path=") {
                            pendingName = String(line[range.upperBound...])
                        }
                    }
                case UInt8(ascii: "0"), 0, UInt8(ascii: "7"):
                    let finalName = pendingName ?? name
                    pendingName = nil
                    return TarEntry(name: finalName, data: Data(body))
                default:
                    pendingName = nil  // directories, links, devices: skipped
                }
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
}
