import Foundation

/// gzip files: recognise them and read them whole.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes 1f 8b.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b
    }

    /// The decompressed bytes of a gzip file (all members, concatenated).
    public static func decompress(_ data: Data) throws -> Data {
        guard isGzip(data) else { throw ArchiveError("not gzip data (the first bytes are not 1f 8b)") }
        return try Inflate.decompress(data, format: .gzip)
    }
}

/// Reads a whole file, gunzipping it when it is gzip, with errors that name the file.
public enum DataFile {
    /// The bytes of the file at `path`, decompressed when they are gzip.
    public static func read(_ path: String) throws -> Data {
        let raw = try readRaw(path)
        guard Gzip.isGzip(raw) else { return raw }
        do {
            return try Gzip.decompress(raw)
        } catch let error as ArchiveError {
            throw ArchiveError(file: path, error.reason)
        }
    }

    /// The bytes of the file at `path` as stored.
    public static func readRaw(_ path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ArchiveError(file: path, "no such file")
        }
        if isDirectory.boolValue { throw ArchiveError(file: path, "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ArchiveError(file: path, "cannot be read (permissions?)")
        }
        return data
    }

    /// The text of the file at `path` (gunzipped when gzip), which must be UTF-8.
    public static func readText(_ path: String) throws -> String {
        let data = try read(path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw ArchiveError(file: path, "is not UTF-8 text")
        }
        return text
    }
}
