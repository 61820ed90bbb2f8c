import Foundation

/// Reads the members of a zip archive held in memory (stored or deflated; zip64 aware).
///
/// Enough for NumPy `.npz` files and ordinary `.zip` archives; encrypted members
/// and other compression methods are refused with a message naming them.
public struct ZipArchive: Sendable {
    /// One member as the central directory describes it.
    public struct Entry: Sendable {
        public let name: String
        public let method: UInt16
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        let localHeaderOffset: Int
        let flags: UInt16
    }

    /// The archive's bytes.
    public let data: Data
    /// Where it came from, for error messages.
    public let origin: String?
    /// The members, in central-directory order.
    public let entries: [Entry]

    /// Parses the central directory of `data`.
    public init(data: Data, origin: String? = nil) throws {
        self.data = Data(data)  // rebase indices at zero
        self.origin = origin
        self.entries = try Self.readDirectory(self.data, origin: origin)
    }

    /// The member called `name`, if present.
    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }

    /// The uncompressed bytes of `entry`, checked against its CRC-32; an error when the member
    /// declares more than `maximumSize` bytes.
    public func contents(of entry: Entry, maximumSize: Int = 1 << 32) throws -> Data {
        let fail = { (reason: String) in ArchiveError(file: origin.map { "\($0)[\(entry.name)]" } ?? entry.name, reason) }
        if entry.flags & 1 != 0 { throw fail("the member is encrypted") }
        let h = entry.localHeaderOffset
        guard h + 30 <= data.count, data.u32(h) == 0x0403_4b50 else { throw fail("bad local header (truncated archive?)") }
        // The local header speaks for the bytes that follow it: encrypted there is encrypted.
        if data.u16(h + 6) & 1 != 0 { throw fail("the member is encrypted (its local header says so)") }
        let start = h + 30 + Int(data.u16(h + 26)) + Int(data.u16(h + 28))
        guard start <= data.count, entry.compressedSize <= data.count - start else { throw fail("the member is truncated") }
        guard entry.uncompressedSize <= maximumSize else {
            throw fail("the member is \(entry.uncompressedSize) bytes, over the limit of \(maximumSize)")
        }
        let body = data[start..<(start + entry.compressedSize)]
        let output: Data
        switch entry.method {
        case 0: output = Data(body)
        case 8:
            // The declared size is a hint, not a promise: the output may not exceed it, and memory is
            // reserved for at most 64 MiB of it up front.
            do {
                output = try Inflate.decompress(Data(body), format: .raw, sizeHint: min(entry.uncompressedSize, 1 << 26),
                                                maximumSize: entry.uncompressedSize)
            } catch let e as ArchiveError { throw fail(e.reason) }
        default:
            throw fail("compression method \(entry.method) is not supported (only stored and deflated)")
        }
        guard output.count == entry.uncompressedSize else { throw fail("size mismatch: expected \(entry.uncompressedSize) bytes, got \(output.count)") }
        guard Inflate.crc32(output) == entry.crc32 else { throw fail("CRC-32 mismatch: the member is corrupt") }
        return output
    }

    /// The uncompressed bytes of the member called `name`.
    public func contents(named name: String) throws -> Data {
        guard let entry = entry(named: name) else {
            throw ArchiveError(file: origin, "no member named \(name) (members: \(entries.map(\.name).joined(separator: ", ")))")
        }
        return try contents(of: entry)
    }

    static func readDirectory(_ d: Data, origin: String?) throws -> [Entry] {
        let fail = { (reason: String) in ArchiveError(file: origin, reason) }
        guard d.count >= 22 else { throw fail("too short to be a zip archive") }
        // The end-of-central-directory record sits in the last 22 + 65535 bytes.
        var eocd = -1
        var i = d.count - 22
        let floor = max(0, d.count - 22 - 65_535)
        while i >= floor {
            if d.u32(i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("not a zip archive, or truncated (no end-of-central-directory record)") }
        var count = Int(d.u16(eocd + 10))
        var directoryOffset = Int(d.u32(eocd + 16))
        if count == 0xFFFF || directoryOffset == 0xFFFF_FFFF, eocd >= 20, d.u32(eocd - 20) == 0x0706_4b50 {
            let z = Int(clamping: d.u64(eocd - 20 + 8))
            guard z <= d.count - 56, d.u32(z) == 0x0606_4b50 else { throw fail("bad zip64 end record") }
            count = Int(clamping: d.u64(z + 32))
            directoryOffset = Int(clamping: min(d.u64(z + 48), UInt64(d.count)))
        }
        var entries: [Entry] = []
        var p = directoryOffset
        // Each entry takes at least 46 bytes: a count the archive cannot hold is an error, not a loop.
        guard count <= (d.count - min(directoryOffset, d.count)) / 46 else {
            throw fail("the central directory claims \(count) members, more than the archive can hold")
        }
        for _ in 0..<count {
            guard p + 46 <= d.count, d.u32(p) == 0x0201_4b50 else { throw fail("bad central directory entry at byte \(p)") }
            let nameLength = Int(d.u16(p + 28)), extraLength = Int(d.u16(p + 30)), commentLength = Int(d.u16(p + 32))
            guard p + 46 + nameLength + extraLength <= d.count else { throw fail("central directory is truncated") }
            let name = String(decoding: d[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            var uncompressed = UInt64(d.u32(p + 24)), compressed = UInt64(d.u32(p + 20)), offset = UInt64(d.u32(p + 42))
            // zip64 extra field: the 64-bit values of the fields that are all ones, in this order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = d.u16(e), size = Int(d.u16(e + 2))
                if id == 0x0001 {
                    var q = e + 4
                    if uncompressed == 0xFFFF_FFFF, q + 8 <= e + 4 + size { uncompressed = d.u64(q); q += 8 }
                    if compressed == 0xFFFF_FFFF, q + 8 <= e + 4 + size { compressed = d.u64(q); q += 8 }
                    if offset == 0xFFFF_FFFF, q + 8 <= e + 4 + size { offset = d.u64(q); q += 8 }
                }
                e += 4 + size
            }
            guard uncompressed < 1 << 40, compressed < 1 << 40, offset < 1 << 40 else { throw fail("member \(name) has impossible sizes") }
            entries.append(Entry(name: name, method: d.u16(p + 10), crc32: d.u32(p + 16),
                                 compressedSize: Int(compressed), uncompressedSize: Int(uncompressed),
                                 localHeaderOffset: Int(offset), flags: d.u16(p + 8)))
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }
}

extension Data {
    /// Little-endian integers at a byte offset from the start; callers check bounds.
    @inline(__always) func u16(_ at: Int) -> UInt16 {
        UInt16(self[startIndex + at]) | UInt16(self[startIndex + at + 1]) << 8
    }
    @inline(__always) func u32(_ at: Int) -> UInt32 {
        UInt32(u16(at)) | UInt32(u16(at + 2)) << 16
    }
    @inline(__always) func u64(_ at: Int) -> UInt64 {
        UInt64(u32(at)) | UInt64(u32(at + 4)) << 32
    }
}
