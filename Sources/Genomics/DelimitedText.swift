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

    /// Calls `body` with each data line's number, its fields (only the requested `columns` are
    /// filled; the others are empty) and the indices of `columns` in the header.
    static func read(_ bytes: [UInt8], file: String, columns: [String],
                     _ body: (Int, [String], [Int]) throws -> Void) throws {
        var indices: [Int] = []
        var wanted: [Bool] = []
        var width = 0
        var fields: [String] = []
        try bytes.withUnsafeBufferPointer { buffer in
            try Lines.forEach(buffer) { number, line in
                if line.isEmpty { return true }
                if number == 1 {
                    var header = try split(line, file: file, line: number).map { $0.trimmingCharacters(in: .whitespaces) }
                    if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
                    for name in columns {
                        guard let index = header.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                            throw GenomicsError(file: file, line: 1,
                                                "no column '\(name)'; the columns are \(header.joined(separator: ", "))")
                        }
                        indices.append(index)
                    }
                    width = header.count
                    wanted = (0..<width).map { indices.contains($0) }
                    fields = Array(repeating: "", count: width)
                    return true
                }
                if line.contains(UInt8(ascii: "\"")) {
                    let all = try split(line, file: file, line: number)
                    guard all.count == width else {
                        throw GenomicsError(file: file, line: number, "\(all.count) fields where the header has \(width)")
                    }
                    try body(number, all, indices)
                    return true
                }
                // Fast path without quotes: build strings only for the wanted columns.
                var k = 0, start = 0
                for i in 0...line.count where i == line.count || line[i] == UInt8(ascii: ",") {
                    if k < width && wanted[k] { fields[k] = Lines.string(line, start, i) }
                    k += 1
                    start = i + 1
                }
                guard k == width else {
                    throw GenomicsError(file: file, line: number, "\(k) fields where the header has \(width)")
                }
                try body(number, fields, indices)
                return true
            }
        }
        if indices.isEmpty { throw GenomicsError(file: file, "the file is empty; expected a header with \(columns.joined(separator: ", "))") }
    }
}
