import Archives
import Foundation

/// A CSV table read whole (RFC 4180): a header, then rows of fields, each with the line it starts on.
///
/// Quoted fields may hold commas, doubled quotes and newlines; CRLF and a UTF-8
/// byte-order mark are accepted. Rows are kept as read: a row whose field count
/// differs from the header's is reported by `validRows`, not silently padded.
public struct CSVTable: Sendable {
    /// The file the table came from (or a name such as `<stdin>`), for messages.
    public let path: String
    /// The column names of the first row, trimmed of surrounding spaces.
    public let header: [String]
    /// The data rows, in file order.
    public let rows: [[String]]
    /// The 1-based line on which each row starts (same order as `rows`).
    public let lines: [Int]

    /// The index of a column, or an error that lists the columns there are.
    public func column(named name: String, option: String) throws -> Int {
        if let index = header.firstIndex(of: name) { return index }
        let folded = name.lowercased()
        if let index = header.firstIndex(where: { $0.lowercased() == folded }) { return index }
        throw CSVError(path: path, line: 1, reason:
            "no column named '\(name)' (\(option)); the columns are: \(header.map { "'\($0)'" }.joined(separator: ", "))")
    }

    /// The rows whose field count matches the header, and a message for every other one.
    public func validRows() -> (rows: [(line: Int, fields: [String])], problems: [String]) {
        var good: [(line: Int, fields: [String])] = []
        var problems: [String] = []
        good.reserveCapacity(rows.count)
        for (row, line) in zip(rows, lines) {
            if row.count == header.count {
                good.append((line, row))
            } else {
                problems.append("\(path):\(line): \(row.count) fields where the header has \(header.count); row skipped")
            }
        }
        return (good, problems)
    }
}

/// Why a CSV file could not be read, naming the file and line.
public struct CSVError: Error, CustomStringConvertible, Sendable {
    /// The file.
    public let path: String
    /// The 1-based line the problem is on.
    public let line: Int
    /// What is wrong, in words a user can act on.
    public let reason: String
    /// `path:line: reason`.
    public var description: String { "\(path):\(line): \(reason)" }
}

extension CSVTable {
    /// Reads and parses a CSV file; a `.gz` file is decompressed first.
    public static func read(path: String) throws -> CSVTable {
        try parse(TextFile.readBytes(path: path), path: path)
    }

    /// Parses CSV bytes (the first row is the header).
    public static func parse(_ bytes: [UInt8], path: String) throws -> CSVTable {
        var rows = parseRows(bytes, path: path)
        guard let first = rows.fields.first else {
            throw CSVError(path: path, line: 1, reason: "the file is empty: a CSV needs a header row, then one row per document")
        }
        if let unterminated = rows.unterminatedLine {
            throw CSVError(path: path, line: unterminated,
                           reason: "a quoted field opened here is never closed (a missing \" ?)")
        }
        let header = first.map { $0.trimmingCharacters(in: .whitespaces) }
        rows.fields.removeFirst()
        rows.lines.removeFirst()
        return CSVTable(path: path, header: header, rows: rows.fields, lines: rows.lines)
    }

    /// Splits bytes into rows of fields; skips lines that are wholly empty.
    static func parseRows(_ bytes: [UInt8], path: String) -> (fields: [[String]], lines: [Int], unterminatedLine: Int?) {
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, cr: UInt8 = 0x0D, lf: UInt8 = 0x0A
        var rows: [[String]] = []
        var lines: [Int] = []
        var row: [String] = []
        var field: [UInt8] = []
        var i = 0
        let n = bytes.count
        if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var quoteLine = 0
        var rowHasContent = false

        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        func endRow() {
            endField()
            if rowHasContent || row.count > 1 || !(row.first ?? "").isEmpty {
                rows.append(row)
                lines.append(rowLine)
            }
            row = []
            rowHasContent = false
        }

        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < n && bytes[i + 1] == quote {
                        field.append(quote)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == lf { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case quote:
                inQuotes = true
                quoteLine = line
                rowHasContent = true
            case comma:
                endField()
                rowHasContent = true
            case cr:
                break
            case lf:
                endRow()
                line += 1
                rowLine = line
            default:
                field.append(b)
            }
            i += 1
        }
        if inQuotes {
            return (rows, lines, quoteLine)
        }
        if !field.isEmpty || !row.isEmpty || rowHasContent { endRow() }
        return (rows, lines, nil)
    }
}

/// Reads whole files for the text commands: plain, or gzip-compressed (decompressed by `Archives`).
public enum TextFile {
    /// The bytes of a file (`-` is standard input); gzip files are decompressed.
    public static func readBytes(path: String) throws -> [UInt8] {
        if path == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return [UInt8](Gzip.isGzip(data) ? try Gzip.decompress(data) : data)
        }
        return [UInt8](try DataFile.read(path))
    }
}
