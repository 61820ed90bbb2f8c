import Foundation

/// A CSV/TSV table read whole: a header, then rows of fields, each with the line it starts on.
///
/// Rows are kept as read: a row whose field count differs from the header's, or that held
/// invalid UTF-8, is reported by `validRows`, not silently padded or dropped.
public struct CSVTable: Sendable {
    /// The file the table came from (or a name such as `<stdin>`), for messages.
    public let path: String
    /// The column names of the first record, trimmed of surrounding spaces.
    public let header: [String]
    /// The data rows, in file order.
    public let rows: [[String]]
    /// The 1-based line on which each row starts (same order as `rows`).
    public let lines: [Int]
    /// The lines of the rows that held invalid UTF-8 (replaced by U+FFFD in `rows`).
    public let invalidUTF8Lines: Set<Int>
    private let columns: CSVHeader

    /// Reads and parses the file at `path` (`-`: standard input; gzip or plain).
    public static func read(path: String, delimiter: Delimiter = .comma) throws -> CSVTable {
        try parse(InputFile.read(path), path: InputFile.displayName(path), delimiter: delimiter)
    }

    /// Parses table bytes; the first record is the header.
    public static func parse(_ bytes: some ContiguousBytes, path: String, delimiter: Delimiter = .comma) throws -> CSVTable {
        var header: CSVHeader?
        var rows: [[String]] = [], lines: [Int] = [], invalid: Set<Int> = []
        try CSVReader(origin: path, delimiter: delimiter).forEachRecord(in: bytes) { record in
            guard header != nil else {
                header = CSVHeader(names: record.fields, file: path, line: record.line)
                return
            }
            rows.append(record.fields)
            lines.append(record.line)
            if record.hasInvalidUTF8 { invalid.insert(record.line) }
        }
        guard let header else {
            throw InputError(file: path, line: 1, "the file is empty: expected a header row, then one row per record")
        }
        return CSVTable(path: path, header: header.names, rows: rows, lines: lines, invalidUTF8Lines: invalid, columns: header)
    }

    /// The index of a column (exact name, else ignoring case), or an error that lists the columns there are.
    public func column(named name: String, option: String? = nil) throws -> Int {
        try columns.index(of: name, option: option)
    }

    /// The rows whose field count matches the header and whose text is UTF-8, and a
    /// `file:line: why; row skipped` message for every other one.
    public func validRows() -> (rows: [(line: Int, fields: [String])], problems: [String]) {
        var good: [(line: Int, fields: [String])] = []
        var problems: [String] = []
        good.reserveCapacity(rows.count)
        for index in rows.indices {
            if let problem = problem(ofRow: index) {
                problems.append("\(problem); row skipped")
            } else {
                good.append((lines[index], rows[index]))
            }
        }
        return (good, problems)
    }

    /// Why row `index` cannot be used (a field count other than the header's, or invalid UTF-8), or nil.
    public func problem(ofRow index: Int) -> InputError? {
        if rows[index].count != header.count { return columns.fieldCountError(rows[index].count, line: lines[index]) }
        if invalidUTF8Lines.contains(lines[index]) {
            return InputError(file: path, line: lines[index], "not UTF-8 text, or holds a NUL byte (convert the file with iconv)")
        }
        return nil
    }
}
