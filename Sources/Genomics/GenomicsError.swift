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
            var end = start
            while end < count && base[end] != 0x0A { end += 1 }
            number += 1
            var stop = end
            if stop > start && base[stop - 1] == 0x0D { stop -= 1 }
            if try !body(number, UnsafeBufferPointer(start: base + start, count: stop - start)) { return }
            start = end + 1
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
