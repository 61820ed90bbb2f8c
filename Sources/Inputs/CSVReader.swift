import Foundation

/// The byte that separates the fields of a delimited text file.
public enum Delimiter: UInt8, Sendable {
    /// `,` (CSV).
    case comma = 0x2C
    /// A tab (TSV).
    case tab = 0x09
}

/// One record of a CSV/TSV file: its fields, unquoted, and the line it starts on.
public struct CSVRecord: Sendable, Equatable {
    /// The fields, unquoted (`""` inside quotes is one `"`).
    public var fields: [String]
    /// The 1-based line of the file on which the record starts.
    public var line: Int
    /// True when a field held bytes that are not UTF-8 (each bad sequence became U+FFFD) or a NUL byte.
    public var hasInvalidUTF8: Bool
}

/// One data row of a header-checked table: the values of the columns asked for, in that order.
public struct CSVRow: Sendable, Equatable {
    /// The 1-based line of the file on which the row starts.
    public var line: Int
    /// The values of the requested columns, in the order they were asked for.
    public var values: [String]
}

/// RFC 4180 delimited text over UTF-8 bytes, record by record.
///
/// - Fields are separated by `delimiter` (comma or tab); records end at LF or CRLF.
/// - A field that starts with `"` is quoted: it may hold delimiters, newlines (a multi-line
///   record; `line` is where it starts) and `""` for one quote. Text after the closing quote is
///   kept as written, and a quote inside an unquoted field is an ordinary character (as Python's
///   `csv` module reads them). A quote never closed is an error naming the line it opened on.
/// - A leading UTF-8 byte-order mark is skipped; empty lines are skipped.
/// - Invalid UTF-8 does not fail the file: each bad sequence becomes U+FFFD and the record says
///   so (`CSVRecord.hasInvalidUTF8`), so the caller can skip and report that one record.
/// - Strings are built only for the fields asked for (`forEachRow(columns:)`), and a quoted
///   field is copied only when it holds `""`: a large table is scanned in place, once.
public struct CSVReader: Sendable {
    /// The file (or archive member) the bytes came from, for messages.
    public let origin: String
    /// The field separator.
    public let delimiter: Delimiter

    /// A reader whose errors name `origin`.
    public init(origin: String, delimiter: Delimiter = .comma) {
        self.origin = origin
        self.delimiter = delimiter
    }

    /// Calls `body` with every record in file order (the header, when there is one, first).
    public func forEachRecord(in bytes: some ContiguousBytes, _ body: (CSVRecord) throws -> Void) throws {
        try withScanner(bytes) { scanner in
            var fields: [String] = []
            while try scanner.next() {
                fields.removeAll(keepingCapacity: true)
                var invalid = false
                for k in 0..<scanner.fieldCount {
                    let (text, bad) = scanner.field(k)
                    fields.append(text)
                    if bad { invalid = true }
                }
                try body(CSVRecord(fields: fields, line: scanner.line, hasInvalidUTF8: invalid))
            }
        }
    }

    /// Every record, the header (when there is one) first.
    public func records(in bytes: some ContiguousBytes) throws -> [CSVRecord] {
        var records: [CSVRecord] = []
        try forEachRecord(in: bytes) { records.append($0) }
        return records
    }

    /// Reads the header, finds `columns` in it (exact name, else ignoring case), then calls `body`
    /// with the values of those columns of every data row; only they are decoded.
    ///
    /// A row whose field count differs from the header's, or whose requested values are not UTF-8,
    /// goes to `badRow` as a `file:line` error and is skipped; the default rethrows it (strict).
    public func forEachRow(in bytes: some ContiguousBytes, columns: [String],
                           badRow: (InputError) throws -> Void = { throw $0 },
                           _ body: (CSVRow) throws -> Void) throws {
        try withScanner(bytes) { scanner in
            guard try scanner.next() else {
                throw InputError(file: origin, line: 1, "the file is empty: expected a header with \(columns.joined(separator: ", "))")
            }
            let header = CSVHeader(names: (0..<scanner.fieldCount).map { scanner.field($0).text }, file: origin, line: scanner.line)
            let indices = try columns.map { try header.index(of: $0) }
            var values: [String] = []
            rows: while try scanner.next() {
                guard scanner.fieldCount == header.names.count else {
                    try badRow(header.fieldCountError(scanner.fieldCount, line: scanner.line))
                    continue
                }
                values.removeAll(keepingCapacity: true)
                for (k, index) in indices.enumerated() {
                    let (text, bad) = scanner.field(index)
                    if bad {
                        try badRow(InputError(file: origin, line: scanner.line, "column '\(columns[k])' is not UTF-8 text (invalid bytes or a NUL byte)"))
                        continue rows
                    }
                    values.append(text)
                }
                try body(CSVRow(line: scanner.line, values: values))
            }
        }
    }

    func withScanner<R>(_ bytes: some ContiguousBytes, _ body: (inout Scanner) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self), delimiter: delimiter.rawValue, origin: origin)
            return try body(&scanner)
        }
    }
}

/// The column names of a table (trimmed of surrounding spaces) and where they stand.
public struct CSVHeader: Sendable, Equatable {
    /// The column names, in file order.
    public let names: [String]
    /// The file, for messages.
    public let file: String
    /// The line the header is on.
    public let line: Int

    /// A header of `names` (trimmed of surrounding spaces) on `line` of `file`.
    public init(names: [String], file: String, line: Int) {
        self.names = names.map { $0.trimmingCharacters(in: .whitespaces) }
        self.file = file
        self.line = line
    }

    /// The index of column `name` (exact, else ignoring case), or an error listing the columns;
    /// `option` (e.g. `--text-column`) says in the message where the name came from.
    /// A name that appears twice is an error too: which of the columns is meant is ambiguous.
    public func index(of name: String, option: String? = nil) throws -> Int {
        var matches = names.indices.filter { names[$0] == name }
        if matches.isEmpty {
            let folded = name.lowercased()
            matches = names.indices.filter { names[$0].lowercased() == folded }
        }
        if matches.count > 1 {
            let which = option.map { "which one is \($0)" } ?? "which one is meant"
            throw InputError(file: file, line: line, "the header names column '\(name)' \(matches.count) times (columns "
                             + matches.map { String($0 + 1) }.joined(separator: ", ") + "): \(which) is ambiguous; rename the others")
        }
        if let index = matches.first { return index }
        throw InputError(file: file, line: line, "no column named '\(name)'\(option.map { " (\($0))" } ?? ""); "
                         + "the columns are: \(names.map { "'\($0)'" }.joined(separator: ", "))")
    }

    /// The error for a record of `count` fields on `line` under this header.
    public func fieldCountError(_ count: Int, line: Int) -> InputError {
        InputError(file: file, line: line, "\(count) fields where the header has \(names.count)")
    }
}

/// The record scanner under every reading: field boundaries of one record at a time, in place.
struct Scanner {
    /// Where a field's bytes are: its content, or (`escaped`) its raw bytes from the opening quote on.
    struct Span {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    static let quote: UInt8 = 0x22, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D

    let bytes: UnsafeBufferPointer<UInt8>
    let delimiter: UInt8
    let origin: String
    private var position = 0
    private var nextLine = 1
    /// The line the current record starts on.
    private(set) var line = 0
    private var spans: [Span] = []
    private var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, delimiter: UInt8, origin: String) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.origin = origin
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
    }

    /// Fields of the current record.
    var fieldCount: Int { spans.count }

    /// Moves to the next record; false at the end of the bytes.
    mutating func next() throws -> Bool {
        let p = bytes, n = bytes.count, d = delimiter
        var i = position
        while i < n {  // empty lines
            if p[i] == Scanner.lf { i += 1; nextLine += 1; continue }
            if p[i] == Scanner.cr && (i + 1 == n || p[i + 1] == Scanner.lf) { i += 1; continue }
            break
        }
        guard i < n else { position = n; return false }
        line = nextLine
        spans.removeAll(keepingCapacity: true)
        while true {
            let start = i
            if i < n && p[i] == Scanner.quote {
                let quoteLine = nextLine
                var doubled = false, closing = -1
                i += 1
                while i < n {
                    let b = p[i]
                    if b == Scanner.quote {
                        if i + 1 < n && p[i + 1] == Scanner.quote { doubled = true; i += 2; continue }
                        closing = i
                        i += 1
                        break
                    }
                    if b == Scanner.lf { nextLine += 1 }
                    i += 1
                }
                guard closing >= 0 else {
                    throw InputError(file: origin, line: quoteLine,
                                     "a quoted field opened on this line is never closed (a missing \" or a truncated file?)")
                }
                while i < n && p[i] != d && p[i] != Scanner.lf { i += 1 }  // text after the closing quote
                let end = Scanner.trimmingCR(p, from: closing + 1, to: i)
                if doubled || end > closing + 1 {
                    spans.append(Span(start: start, end: end, escaped: true))
                } else {
                    spans.append(Span(start: start + 1, end: closing, escaped: false))
                }
            } else {
                while i < n && p[i] != d && p[i] != Scanner.lf { i += 1 }
                spans.append(Span(start: start, end: Scanner.trimmingCR(p, from: start, to: i), escaped: false))
            }
            if i < n && p[i] == d { i += 1; continue }
            if i < n { i += 1; nextLine += 1 }  // the LF
            break
        }
        position = i
        return true
    }

    /// `to`, or one less when the last field of a record ends in the CR of a CRLF (or of the file's end).
    @inline(__always)
    static func trimmingCR(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        to > from && p[to - 1] == cr && (to == p.count || p[to] == lf) ? to - 1 : to
    }

    /// The text of field `k` of the current record, and whether invalid UTF-8 was replaced in it.
    mutating func field(_ k: Int) -> (text: String, invalid: Bool) {
        let span = spans[k]
        guard span.escaped else {
            return Scanner.decode(UnsafeBufferPointer(rebasing: bytes[span.start..<span.end]))
        }
        scratch.removeAll(keepingCapacity: true)
        var i = span.start + 1, inQuotes = true
        while i < span.end {
            let b = bytes[i]
            if inQuotes && b == Scanner.quote {
                if i + 1 < span.end && bytes[i + 1] == Scanner.quote { scratch.append(b); i += 2; continue }
                inQuotes = false
                i += 1
                continue
            }
            scratch.append(b)
            i += 1
        }
        return scratch.withUnsafeBufferPointer { Scanner.decode($0) }
    }

    /// The string of UTF-8 bytes, repaired (U+FFFD) and flagged when they are not valid. A NUL byte
    /// is flagged too: stored text would end at it (SQLite's C strings) while offsets ran past it.
    @inline(__always)
    static func decode(_ buffer: UnsafeBufferPointer<UInt8>) -> (text: String, invalid: Bool) {
        var ascii = true
        for b in buffer where b >= 0x80 || b == 0 {
            if b == 0 { return (String(decoding: buffer, as: UTF8.self), true) }
            ascii = false
            break
        }
        if ascii { return (String(decoding: buffer, as: UTF8.self), false) }
        if buffer.contains(0) { return (String(decoding: buffer, as: UTF8.self), true) }
        if let text = String(validating: buffer, as: UTF8.self) { return (text, false) }
        return (String(decoding: buffer, as: UTF8.self), true)
    }
}
