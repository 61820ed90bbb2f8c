import Foundation
import Hummingbird
import NIOCore
import TriageKit
#if canImport(Glibc)
import Glibc
#endif

/// One uploaded file, already on disk in the request's private folder.
struct UploadedFile: Sendable {
    /// The file's name as the client sent it.
    var filename: String
    /// Where it is stored.
    var path: String
    /// Its size in bytes.
    var size: Int
}

/// The files and fields of a request: a `multipart/form-data` body, or the whole body as one file
/// (named by `?filename=` or `X-Filename`, else `upload`). Query parameters count as fields.
///
/// The body streams to disk as it arrives (at most `limit` bytes, else 413), and a multipart body
/// is split from a memory-mapped copy, so a large upload never sits in memory.
struct Uploads: Sendable {
    var files: [UploadedFile] = []
    var fields: [String: String] = [:]

    /// The largest plain form field.
    static let fieldLimit = 64 << 10

    /// Reads the body of `request` into `folder`.
    static func read(_ request: Request, limit: Int, into folder: UploadFolder) async throws -> Uploads {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError(.contentTooLarge, "the upload is \(length) bytes, over the limit of \(limit) (--max-upload)")
        }
        var uploads = Uploads()
        uploads.fields = request.queryFields
        let bodyPath = (folder.path as NSString).appendingPathComponent(".body")
        let size = try await stream(request.body, to: bodyPath, limit: limit)
        defer { try? FileManager.default.removeItem(atPath: bodyPath) }
        let contentType = request.headers[.contentType] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = boundary(of: contentType) else {
                throw APIError(.badRequest, "a multipart body needs a boundary in its Content-Type")
            }
            let body = try Data(contentsOf: URL(fileURLWithPath: bodyPath), options: .alwaysMapped)
            try parts(of: body, boundary: boundary) { name, filename, bytes in
                if let filename {
                    // A form's file input with no file chosen sends an empty part with an empty name.
                    if filename.isEmpty && bytes.isEmpty { return }
                    uploads.files.append(try folder.store(bytes, filename: filename))
                } else {
                    guard bytes.count <= fieldLimit else { throw APIError(.badRequest, "the form field '\(name)' is over \(fieldLimit) bytes") }
                    uploads.fields[name] = String(decoding: bytes, as: UTF8.self)
                }
            }
        } else if size > 0 {
            let name = uploads.fields["filename"] ?? request.headers[.init("X-Filename")!] ?? "upload"
            uploads.files.append(try folder.adopt(bodyPath, filename: name, size: size))
        }
        return uploads
    }

    /// Writes `body` to `path`, at most `limit` bytes; returns the size.
    static func stream(_ body: RequestBody, to path: String, limit: Int) async throws -> Int {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw APIError(.internalServerError, "cannot store the upload")
        }
        defer { try? handle.close() }
        var size = 0
        for try await buffer in body {
            size += buffer.readableBytes
            guard size <= limit else { throw APIError(.contentTooLarge, "the upload is over the limit of \(limit) bytes (--max-upload)") }
            try handle.write(contentsOf: buffer.readableBytesView)
        }
        return size
    }

    /// The `boundary=` parameter of a multipart Content-Type.
    static func boundary(of contentType: String) -> String? {
        guard let value = parameter("boundary", in: contentType), !value.isEmpty, value.utf8.count <= 200 else { return nil }
        return value
    }

    /// Calls `body` with each part of a multipart body (RFC 7578): its field name, its file name
    /// (nil for a plain field) and its bytes up to the next delimiter.
    static func parts(of data: Data, boundary: String,
                      _ body: (String, String?, UnsafeRawBufferPointer) throws -> Void) throws {
        let delimiter = Array("--\(boundary)".utf8)
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var positions: [Int] = []
            var from = 0
            while let found = find(delimiter, in: bytes, from: from) {
                positions.append(found)
                from = found + delimiter.count
            }
            guard positions.count >= 2 else { throw APIError(.badRequest, "the multipart body has no complete part") }
            for (start, end) in zip(positions, positions.dropFirst()) {
                var begin = start + delimiter.count
                guard begin + 1 < bytes.count, bytes[begin] == 0x0D, bytes[begin + 1] == 0x0A else { continue }
                begin += 2
                // The part's content ends before the CRLF that precedes the next delimiter.
                var stop = end
                if stop - begin >= 2, bytes[stop - 2] == 0x0D, bytes[stop - 1] == 0x0A { stop -= 2 }
                guard let headerEnd = find(Array("\r\n\r\n".utf8), in: UnsafeRawBufferPointer(rebasing: bytes[begin..<stop]), from: 0) else {
                    throw APIError(.badRequest, "a multipart part has no header block")
                }
                let headers = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<(begin + headerEnd)]), as: UTF8.self)
                var name = "", filename: String?
                for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                    name = parameter("name", in: line) ?? ""
                    filename = parameter("filename", in: line)
                }
                try body(name, filename, UnsafeRawBufferPointer(rebasing: bytes[(begin + headerEnd + 4)..<stop]))
            }
        }
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// The offset of `needle` in `haystack` at or after `from`.
    static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard !needle.isEmpty, from >= 0, from <= haystack.count, let base = haystack.baseAddress else { return nil }
        // memchr finds each candidate first byte; memcmp checks the rest (memmem is a GNU extension).
        return needle.withUnsafeBytes { n -> Int? in
            guard let first = n.first, let rest = n.baseAddress else { return nil }
            var at = from
            while haystack.count - at >= n.count {
                guard let hit = memchr(base + at, Int32(first), haystack.count - at - n.count + 1) else { return nil }
                let offset = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + offset, rest, n.count) == 0 { return offset }
                at = offset + 1
            }
            return nil
        }
    }
}

/// A private folder (mode 0700) for one request's or one job's uploads, deleted when it is done.
final class UploadFolder: @unchecked Sendable {
    let path: String
    private let removesItself: Bool

    /// A new folder for one request under the server's temporary folder, deleted with this object.
    convenience init() throws {
        try self.init(root: UploadFolder.requestRoot, removesItself: true)
    }

    /// A new folder under `root`; with `removesItself`, deleted when this object goes.
    init(root: String, removesItself: Bool) throws {
        path = (root as NSString).appendingPathComponent(RandomID.make())
        self.removesItself = removesItself
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    }

    /// Where request uploads of this process go.
    static var requestRoot: String { (NSTemporaryDirectory() as NSString).appendingPathComponent("triage-serve-\(getpid())") }

    /// Deletes the request folders that servers which are no longer running left behind.
    static func removeStaleRequestFolders() {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("triage-serve-") {
            guard let pid = Int32(name.dropFirst("triage-serve-".count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (temporary as NSString).appendingPathComponent(name))
            }
        }
    }

    /// Stores `bytes` under a safe version of `filename`.
    func store(_ bytes: UnsafeRawBufferPointer, filename: String) throws -> UploadedFile {
        let target = freeName(for: filename)
        guard FileManager.default.createFile(atPath: target, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot store the upload")
        }
        return UploadedFile(filename: filename, path: target, size: bytes.count)
    }

    /// Moves the file at `source` (in this folder) to a safe version of `filename`.
    func adopt(_ source: String, filename: String, size: Int) throws -> UploadedFile {
        let target = freeName(for: filename)
        try FileManager.default.moveItem(atPath: source, toPath: target)
        return UploadedFile(filename: filename, path: target, size: size)
    }

    /// A path in this folder for `filename`: no folders, no leading dot, letters, digits and `._-`
    /// only, numbered when the name is taken.
    private func freeName(for filename: String) -> String {
        var name = (filename as NSString).lastPathComponent
        name = String(name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) ? Character($0) : "_" })
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty { name = "upload" }
        if name.count > 120 { name = String(name.suffix(120)) }
        var target = (path as NSString).appendingPathComponent(name)
        var n = 1
        while FileManager.default.fileExists(atPath: target) {
            target = (path as NSString).appendingPathComponent("\(n)-\(name)")
            n += 1
        }
        return target
    }

    /// Deletes the folder and what it holds.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { if removesItself { remove() } }
}
