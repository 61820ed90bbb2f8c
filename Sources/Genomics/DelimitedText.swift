import Foundation

/// Comma-separated lines split into fields, quotes honoured (a quoted field may hold commas and `""`).
enum CSVLine {
    /// The fields of one line, or an error naming `file`:`line` when a quote is not closed.
    static func split(_ line: UnsafeBufferPointer<UInt8>, file: String, line number: Int) throws -> [String] {
        var fields: [String] = []
        var i = 0
        let n = line.count
        while true {
            if i < n && line[i] == UInt8(ascii: "\"") {
                var bytes: [UInt8] = []
                i += 1
                var closed = false
                while i < n {
                    if line[i] == UInt8(ascii: "\"") {
                        if i + 1 < n && line[i + 1] == UInt8(ascii: "\"") { bytes.append(line[i]); i += 2; continue }
                        closed = true
                        i += 1
                        break
                    }
                    bytes.append(line[i])
                    i += 1
                }
                guard closed else { throw GenomicsError(file: file, line: number, "a quoted field is not closed") }
                fields.append(String(decoding: bytes, as: UTF8.self))
                guard i == n || line[i] == UInt8(ascii: ",") else {
                    throw GenomicsError(file: file, line: number, "text after a closing quote in field \(fields.count)")
                }
            } else {
                var j = i
                while j < n && line[j] != UInt8(ascii: ",") { j += 1 }
                fields.append(Lines.string(line, i, j))
                i = j
            }
            if i >= n { break }
            i += 1  // the comma
            if i == n { fields.append(""); break }
        }
        return fields
    }

    /// Calls `body` with each data line's number and fields after checking the header has `columns`.
    /// Returns the header's column indices of `columns` in order.
    static func read(_ bytes: [UInt8], file: String, columns: [String],
                     _ body: (Int, [String], [Int]) throws -> Void) throws {
        var indices: [Int] = []
        var width = 0
        try bytes.withUnsafeBufferPointer { buffer in
            try Lines.forEach(buffer) { number, line in
                if line.isEmpty { return true }
                let fields = try split(line, file: file, line: number)
                if number == 1 {
                    var header = fields.map { $0.trimmingCharacters(in: .whitespaces) }
                    if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
                    for name in columns {
                        guard let index = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                            throw GenomicsError(file: file, line: 1,
                                                "no column '\(name)'; the columns are \(header.joined(separator: ", "))")
                        }
                        indices.append(index)
                    }
                    width = header.count
                    return true
                }
                guard fields.count == width else {
                    throw GenomicsError(file: file, line: number, "\(fields.count) fields where the header has \(width)")
                }
                try body(number, fields, indices)
                return true
            }
        }
        if indices.isEmpty { throw GenomicsError(file: file, "the file is empty; expected a header with \(columns.joined(separator: ", "))") }
    }
}
