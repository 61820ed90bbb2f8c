import Foundation

/// Writes a zip archive in memory (APPNOTE 6.3): each member deflated, or stored when deflating
/// does not make it smaller, with its CRC-32 and a local header; then the central directory and its
/// end record. Names are UTF-8 (flag bit 11); members are regular files, mode 644.
///
/// Plain zip, no zip64: a member of 4 GiB or more, an archive that would pass 4 GiB, or more than
/// 65,535 members is refused with an error before anything is written for it.
public struct ZipWriter {
    /// The archive's bytes so far: the members, without the central directory (see `finished()`).
    public private(set) var data = Data()
    private var directory = Data()
    private var names = Set<String>()
    private let time: UInt16, date: UInt16
    /// The largest archive (and member) written: 2^32 - 1 bytes (0xFFFFFFFF marks zip64), smaller in tests.
    let limit: Int

    /// An empty archive whose members carry `modified` as their date (MS-DOS time, UTC, 2-second steps).
    public init(modified: Date = Date()) { self.init(modified: modified, limit: Int(UInt32.max) - 1) }

    init(modified: Date, limit: Int) {
        (time, date) = ZipWriter.dosTime(modified)
        self.limit = limit
    }

    /// The number of members added.
    public var count: Int { names.count }

    /// Adds the file `name` (a relative path with `/` between folders) holding `contents`.
    public mutating func add(_ name: String, _ contents: Data) throws {
        let fail = { (reason: String) in ArchiveError(file: name, reason) }
        let nameBytes = Array(name.utf8)
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !nameBytes.isEmpty, nameBytes.count <= 0xFFFF, !name.hasPrefix("/"), !name.hasSuffix("/"),
              !name.contains("\\"), !name.contains("\0"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw fail("is not a member name a zip archive can hold safely (a relative path of at most 65,535 bytes, no empty, '.' or '..' part, no backslash)")
        }
        guard !names.contains(name) else { throw fail("is added twice") }
        guard names.count < 0xFFFF else { throw fail("would be member 65,536; a zip archive without zip64 holds at most 65,535") }
        guard contents.count < limit else { throw fail("is \(contents.count) bytes; a zip archive without zip64 holds members below \(limit) bytes") }
        let crc = Inflate.crc32(contents)
        let deflated = try Deflate.compress(contents)
        let (method, body): (UInt16, Data) = deflated.count < contents.count ? (8, deflated) : (0, contents)
        let offset = data.count
        guard offset + 30 + nameBytes.count + body.count < limit else {
            throw fail("would take the archive past \(limit) bytes, the most a zip archive without zip64 holds")
        }
        var local = Data(capacity: 30 + nameBytes.count)
        local.le32(0x0403_4b50); local.le16(20); local.le16(ZipWriter.utf8Flag); local.le16(method)
        local.le16(time); local.le16(date); local.le32(crc); local.le32(UInt32(body.count)); local.le32(UInt32(contents.count))
        local.le16(UInt16(nameBytes.count)); local.le16(0)
        local.append(contentsOf: nameBytes)
        data.append(local)
        data.append(body)

        directory.le32(0x0201_4b50); directory.le16(3 << 8 | 20)  // made by: Unix, version 2.0
        directory.le16(20); directory.le16(ZipWriter.utf8Flag); directory.le16(method); directory.le16(time); directory.le16(date)
        directory.le32(crc); directory.le32(UInt32(body.count)); directory.le32(UInt32(contents.count))
        directory.le16(UInt16(nameBytes.count)); directory.le16(0); directory.le16(0)  // extra, comment
        directory.le16(0); directory.le16(0)                                              // disk, internal attributes
        directory.le32(UInt32(0o100644) << 16)                                          // a regular file, rw-r--r--
        directory.le32(UInt32(offset))
        directory.append(contentsOf: nameBytes)
        names.insert(name)
    }

    /// The whole archive: the members, the central directory and its end record.
    public func finished() throws -> Data {
        guard data.count + directory.count + 22 < limit else {
            throw ArchiveError("the archive would pass \(limit) bytes, the most a zip archive without zip64 holds")
        }
        var out = data
        out.append(directory)
        out.le32(0x0605_4b50); out.le16(0); out.le16(0)
        out.le16(UInt16(names.count)); out.le16(UInt16(names.count))
        out.le32(UInt32(directory.count)); out.le32(UInt32(data.count)); out.le16(0)
        return out
    }

    /// General-purpose flag bit 11: the name is UTF-8.
    static let utf8Flag: UInt16 = 1 << 11

    /// MS-DOS time and date of `date` in UTC, clamped to 1980...2107.
    static func dosTime(_ date: Date) -> (time: UInt16, date: UInt16) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = c.year ?? 1980
        if year < 1980 { return (0, 1 << 5 | 1) }
        if year > 2107 { return (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31) }
        let time = (c.hour ?? 0) << 11 | (c.minute ?? 0) << 5 | (c.second ?? 0) / 2
        let day = (year - 1980) << 9 | (c.month ?? 1) << 5 | (c.day ?? 1)
        return (UInt16(time), UInt16(day))
    }
}

extension Data {
    /// Appends little-endian integers.
    fileprivate mutating func le16(_ v: UInt16) { append(contentsOf: [UInt8(v & 0xFF), UInt8(v >> 8)]) }
    fileprivate mutating func le32(_ v: UInt32) { le16(UInt16(v & 0xFFFF)); le16(UInt16(v >> 16)) }
}
