import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `multipart/form-data` body (RFC 7578) split into its parts, without copying them: what `triage
/// serve` reads from an upload. Plain bytes in, plain values out, so that it is tested and fuzzed
/// without a server.
public enum Multipart {
    /// Why a body or Content-Type cannot be read (the server answers 400 with it).
    public struct Malformed: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The `boundary=` parameter of a multipart Content-Type (at most 200 bytes), or nil.
    public static func boundary(of contentType: String) -> String? {
        guard let value = parameter("boundary", in: contentType), !value.isEmpty, value.utf8.count <= 200 else { return nil }
        return value
    }

    /// Calls `body` with each part of a multipart body: its field name, its file name (nil for a
    /// plain field) and its bytes up to the next delimiter (a slice of `bytes`).
    public static func parts(of bytes: UnsafeRawBufferPointer, boundary: String,
                             _ body: (String, String?, UnsafeRawBufferPointer) throws -> Void) throws {
        let delimiter = Array("--\(boundary)".utf8)
        var positions: [Int] = []
        var from = 0
        while let found = find(delimiter, in: bytes, from: from) {
            positions.append(found)
            from = found + delimiter.count
        }
        guard positions.count >= 2 else { throw Malformed("the multipart body has no complete part") }
        let headerEnd = Array("\r\n\r\n".utf8)
        for (start, end) in zip(positions, positions.dropFirst()) {
            var begin = start + delimiter.count
            guard begin + 1 < bytes.count, bytes[begin] == 0x0D, bytes[begin + 1] == 0x0A else { continue }
            begin += 2
            // The part's content ends before the CRLF that precedes the next delimiter.
            var stop = end
            if stop - begin >= 2, bytes[stop - 2] == 0x0D, bytes[stop - 1] == 0x0A { stop -= 2 }
            guard let headersLength = find(headerEnd, in: UnsafeRawBufferPointer(rebasing: bytes[begin..<stop]), from: 0) else {
                throw Malformed("a multipart part has no header block")
            }
            let headers = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[begin..<(begin + headersLength)]), as: UTF8.self)
            var name = "", filename: String?
            for line in headers.components(separatedBy: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
                name = parameter("name", in: line) ?? ""
                filename = parameter("filename", in: line)
            }
            try body(name, filename, UnsafeRawBufferPointer(rebasing: bytes[(begin + headersLength + 4)..<stop]))
        }
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    public static func parameter(_ key: String, in header: String) -> String? {
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
