import Archives
import Foundation

/// The one way to read an input file: a path or `-` (standard input), gzip-compressed or plain
/// (recognised by the magic bytes 1f 8b, not by the name), with errors that name the file.
public enum InputFile {
    /// The path that means standard input.
    public static let standardInput = "-"

    /// The largest decompressed input accepted by default: 64 GiB, more than any input this
    /// project reads. Decompression bombs are stopped by `Inflate.bombRatio` well before it.
    public static let defaultMaximumSize = 1 << 36

    /// The name of `path` in messages: `<stdin>` for `-`, else the path as given.
    public static func displayName(_ path: String) -> String {
        path == standardInput ? "<stdin>" : path
    }

    /// The bytes of `path` as stored (not decompressed); `-` reads standard input to its end.
    public static func readRaw(_ path: String) throws -> Data {
        if path == standardInput { return FileHandle.standardInput.readDataToEndOfFile() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such file")
        }
        if isDirectory.boolValue { throw InputError(file: path, "is a directory, not a file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, "cannot be read (permissions?)")
        }
        return data
    }

    /// The bytes of `path` (`-`: standard input), gunzipped when they are gzip.
    public static func read(_ path: String, maximumSize: Int = defaultMaximumSize) throws -> Data {
        try decode(try readRaw(path), name: displayName(path), maximumSize: maximumSize)
    }

    /// `read` as an array of bytes, for the parsers that scan `[UInt8]`.
    public static func bytes(_ path: String, maximumSize: Int = defaultMaximumSize) throws -> [UInt8] {
        [UInt8](try read(path, maximumSize: maximumSize))
    }

    /// The text of `path` (gunzipped when gzip), which must be UTF-8.
    public static func text(_ path: String, maximumSize: Int = defaultMaximumSize) throws -> String {
        let data = try read(path, maximumSize: maximumSize)
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: displayName(path), "is not UTF-8 text")
        }
        return text
    }

    /// `data` gunzipped when it is gzip, else unchanged; `name` is the file in errors. The one
    /// place where the size of what an input expands to is checked against `maximumSize`.
    public static func decode(_ data: Data, name: String, maximumSize: Int = defaultMaximumSize) throws -> Data {
        guard Gzip.isGzip(data) else {
            guard data.count <= maximumSize else {
                throw InputError(file: name, "is \(data.count) bytes, over the limit of \(maximumSize)")
            }
            return data
        }
        do {
            return try Gzip.decompress(data, maximumSize: maximumSize)
        } catch let error as ArchiveError {
            throw InputError(file: name, error.reason)
        }
    }
}

extension InputFile {
    /// True for a name that can only be a file in the folder it is joined to: 1 to 64 ASCII letters,
    /// digits, '.', '_' or '-', not starting with '.' (no path, no hidden file). Schemes (folders of
    /// the rules folder) and models trained from the server's pages are named this way.
    public static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
    }
}

extension InputFile {
    /// The files under `folder` (relative paths, sorted), hidden ones left out, and the symbolic
    /// links found there: a link inside a folder may lead anywhere (`/etc/passwd`), so callers read
    /// `links` only when the user asked them to follow links.
    public static func walk(_ folder: String) throws -> (files: [String], links: [String]) {
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(atPath: folder) else { throw InputError(file: folder, "cannot list the folder") }
        var files: [String] = [], links: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if (relative as NSString).lastPathComponent.hasPrefix(".") { continue }
            let full = (folder as NSString).appendingPathComponent(relative)
            if (try? fm.attributesOfItem(atPath: full)[.type]) as? FileAttributeType == .typeSymbolicLink {
                links.append(relative)
                continue
            }
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue { files.append(relative) }
        }
        return (files.sorted(), links.sorted())
    }
}
