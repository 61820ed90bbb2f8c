import Foundation
import Hummingbird
import NIOCore

/// One uploaded file or form field.
struct UploadPart {
    /// The form field's name.
    var name: String
    /// The file's name as the browser sent it (nil for a plain field).
    var filename: String?
    var contentType: String?
    var data: Data
}

/// The files and fields of a request: a `multipart/form-data` body, or the whole body as one
/// file (named by `?filename=` or `X-Filename`, else `upload`).
struct Uploads {
    var files: [UploadPart] = []
    var fields: [String: String] = [:]

    /// Reads the body of `request`, at most `limit` bytes (413 above it).
    static func read(_ request: Request, limit: Int) async throws -> Uploads {
        var request = request
        let buffer = try await request.collectBody(upTo: limit)
        let data = Data(buffer.readableBytesView)
        var uploads = Uploads()
        for item in request.uri.queryParameters {
            uploads.fields[String(item.key)] = String(item.value)
        }
        let contentType = request.headers[.contentType] ?? ""
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = boundary(of: contentType) else {
                throw APIError(.badRequest, "a multipart body needs a boundary in its Content-Type")
            }
            for part in try parts(of: data, boundary: boundary) {
                if part.filename != nil { uploads.files.append(part) } else { uploads.fields[part.name] = String(decoding: part.data, as: UTF8.self) }
            }
        } else if !data.isEmpty {
            let name = uploads.fields["filename"] ?? request.headers[.init("X-Filename")!] ?? "upload"
            uploads.files.append(UploadPart(name: "file", filename: name, contentType: contentType, data: data))
        }
        return uploads
    }

    /// The `boundary=` parameter of a multipart Content-Type.
    static func boundary(of contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.count > 200 ? nil : value
            }
        }
        return nil
    }

    /// The parts of a multipart body (RFC 7578): each part's headers, then its bytes up to the next delimiter.
    static func parts(of body: Data, boundary: String) throws -> [UploadPart] {
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: bytes, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else { throw APIError(.badRequest, "the multipart body has no complete part") }
        var parts: [UploadPart] = []
        for (start, end) in zip(positions, positions.dropFirst()) {
            var from = start + delimiter.count
            if from + 1 < bytes.count, bytes[from] == 0x0D, bytes[from + 1] == 0x0A { from += 2 } else { continue }
            // The part's content ends before the CRLF that precedes the next delimiter.
            var to = end
            if to >= 2, bytes[to - 2] == 0x0D, bytes[to - 1] == 0x0A { to -= 2 }
            guard let headerEnd = find([0x0D, 0x0A, 0x0D, 0x0A], in: bytes, from: from), headerEnd <= to else {
                throw APIError(.badRequest, "a multipart part has no header block")
            }
            let headers = String(decoding: bytes[from..<headerEnd], as: UTF8.self)
            var name = "", filename: String?, contentType: String?
            for line in headers.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = parameter("name", in: line) ?? ""
                    filename = parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(UploadPart(name: name, filename: filename, contentType: contentType,
                                    data: Data(bytes[(headerEnd + 4)..<to])))
        }
        return parts
    }

    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].lowercased() == key {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// A private folder (mode 0700) for one request's uploads, deleted when the request is done.
final class UploadFolder: @unchecked Sendable {
    let path: String

    /// A new folder under the server's temporary folder.
    init() throws {
        let root = (NSTemporaryDirectory() as NSString).appendingPathComponent("triage-serve-\(getpid())")
        path = (root as NSString).appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root)
    }

    /// Writes an upload under a safe version of its name (no folders, no leading dot); returns the path.
    func write(_ part: UploadPart, index: Int) throws -> String {
        var name = ((part.filename ?? "upload") as NSString).lastPathComponent
        name = String(name.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) ? Character($0) : "_" })
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty { name = "upload" }
        var target = (path as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: target) { target = (path as NSString).appendingPathComponent("\(index)-\(name)") }
        guard FileManager.default.createFile(atPath: target, contents: part.data, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot store the upload")
        }
        return target
    }

    /// Deletes the folder and what it holds.
    func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}
