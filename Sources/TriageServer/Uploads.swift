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
            guard let boundary = Multipart.boundary(of: contentType) else {
                throw APIError(.badRequest, "a multipart body needs a boundary in its Content-Type")
            }
            let body = try Data(contentsOf: URL(fileURLWithPath: bodyPath), options: .alwaysMapped)
            do {
                try body.withUnsafeBytes { bytes in
                    try Multipart.parts(of: bytes, boundary: boundary) { name, filename, bytes in
                        if let filename {
                            // A form's file input with no file chosen sends an empty part with an empty name.
                            if filename.isEmpty && bytes.isEmpty { return }
                            uploads.files.append(try folder.store(bytes, filename: filename))
                        } else {
                            guard bytes.count <= fieldLimit else { throw APIError(.badRequest, "the form field '\(name)' is over \(fieldLimit) bytes") }
                            uploads.fields[name] = String(decoding: bytes, as: UTF8.self)
                        }
                    }
                }
            } catch let error as Multipart.Malformed {
                throw APIError(.badRequest, error.description)
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
