import Archives
import Inputs
import Foundation

/// Why a sequence, variant or table file cannot be used, with the file and line it is about.
public struct GenomicsError: LocatedError, Equatable, Sendable {
    /// The file the error is about, when known.
    public var file: String?
    /// The 1-based line, when the error is about one line.
    public var line: Int?
    /// What is wrong, in words a user can act on.
    public var reason: String

    /// An error about `file` (and `line`, when given).
    public init(file: String? = nil, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var errorFile: String? { file }
    public var errorLine: Int? { line }
}

/// Splitting bytes into lines without copying: the readers' common scanner.
enum Lines {
    /// Calls `body` with each line's 1-based number and its bytes (without "\n" or a trailing "\r").
    static func forEach(_ bytes: UnsafeBufferPointer<UInt8>,
                        _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Bool) rethrows {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var start = 0
        var number = 0
        while start < count {
            // memchr: the scan is the readers' hottest loop (and a byte loop is slow in a debug build).
            let end = memchr(base + start, 0x0A, count - start).map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? count
            number += 1
            var stop = end
            if stop > start && base[stop - 1] == 0x0D { stop -= 1 }
            if try !body(number, UnsafeBufferPointer(start: base + start, count: stop - start)) { return }
            start = end + 1
        }
    }

    /// The longest line a streamed file may hold.
    static let maximumLineBytes = 1 << 26

    /// `forEach` over `prefix` then a stream read in 4 MiB chunks: whole lines are handed over, the rest carried
    /// to the next chunk. A line longer than `maximumLineBytes` is an error naming it.
    static func forEach(stream: ByteStream, prefix: Data, file: String, maximumLineBytes: Int = maximumLineBytes,
                        _ body: (Int, UnsafeBufferPointer<UInt8>) throws -> Bool) throws {
        var carry = [UInt8](prefix)
        var number = 0
        var done = false
        // Where a newline may be: what was carried over holds none (every complete line was handed over),
        // so only the bytes read since are searched (searching the carry again made a long line quadratic).
        var searchFrom = 0
        while !done {
            let chunk = try stream.read(1 << 22)
            let atEnd = chunk.isEmpty
            carry.append(contentsOf: chunk)
            // Hand over every complete line (all of them at the end of the file).
            let cut = atEnd ? carry.count : carry.withUnsafeBufferPointer { all -> Int in
                guard let base = all.baseAddress else { return 0 }
                var cut = 0, at = searchFrom
                while at < all.count, let found = memchr(base + at, 0x0A, all.count - at) {
                    cut = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found)) + 1
                    at = cut
                }
                return cut
            }
            searchFrom = carry.count - cut
            if cut == 0 && !atEnd {
                if carry.count > maximumLineBytes {
                    throw GenomicsError(file: file, line: number + 1, "the line is longer than \(maximumLineBytes) bytes")
                }
                continue
            }
            var stopped = false
            try carry.withUnsafeBufferPointer { all in
                guard let base = all.baseAddress else { return }
                try forEach(UnsafeBufferPointer(start: base, count: cut)) { n, line in
                    number += 1
                    if try !body(number, line) { stopped = true; return false }
                    return true
                }
            }
            carry.removeFirst(cut)
            done = atEnd || stopped
        }
    }

    /// The text of a byte slice (invalid UTF-8 repaired).
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// The text of `bytes[from..<to]`.
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> String {
        guard let base = bytes.baseAddress, to > from else { return "" }
        return String(decoding: UnsafeBufferPointer(start: base + from, count: to - from), as: UTF8.self)
    }

    /// A non-negative decimal integer, or nil when the bytes are not one.
    @inline(__always)
    static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard to > from, to - from <= 18 else { return nil }
        var value = 0
        for i in from..<to {
            let digit = Int(bytes[i]) - 48
            guard digit >= 0 && digit <= 9 else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
