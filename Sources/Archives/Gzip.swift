import Foundation

/// gzip files: recognise them and read them whole.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The decompressed bytes of a gzip file (all members, concatenated); an error past `maximumSize` bytes.
    public static func decompress(_ data: Data, maximumSize: Int = .max) throws -> Data {
        guard isGzip(data) else { throw ArchiveError("not gzip data (the first bytes are not 1f 8b)") }
        return try Inflate.decompress(data, format: .gzip, maximumSize: maximumSize)
    }
}
