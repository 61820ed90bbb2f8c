import Foundation

/// A CSV/TSV parser over UTF-8 bytes: quoted fields with commas, doubled quotes and newlines.
public struct CSVReader {
    /// One record and the 1-based line it starts on.
    public struct Record {
        /// The fields, unquoted.
        public var fields: [String]
        /// The line of the file where the record starts.
        public var line: Int
    }

    /// Why a CSV file cannot be read.
    public struct ParseError: Error, CustomStringConvertible {
        /// The file (or archive member).
        public let origin: String
        /// The 1-based line where the problem starts.
        public let line: Int
        /// What is wrong.
        public let reason: String
        public var description: String { "\(origin):\(line): \(reason)" }
    }

    /// Parses all records of `data` (a leading UTF-8 BOM is skipped; CRLF is accepted).
    public static func records(_ data: Data, delimiter: UInt8 = 44, origin: String) throws -> [Record] {
        var records: [Record] = []
        try data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var i = 0
            let n = bytes.count
            if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
            var line = 1
            var fields: [String] = []
            var field: [UInt8] = []
            var recordLine = 1
            var inQuotes = false
            var quoteLine = 1
            var atFieldStart = true
            func endField() throws {
                guard let s = String(validating: field, as: UTF8.self) else {
                    throw ParseError(origin: origin, line: line, reason: "the field is not valid UTF-8")
                }
                fields.append(s)
                field.removeAll(keepingCapacity: true)
                atFieldStart = true
            }
            while i < n {
                let b = bytes[i]
                if inQuotes {
                    if b == 34 {
                        if i + 1 < n && bytes[i + 1] == 34 { field.append(34); i += 2; continue }
                        inQuotes = false
                    } else {
                        if b == 10 { line += 1 }
                        field.append(b)
                    }
                    i += 1
                    continue
                }
                if b == 34 && atFieldStart {
                    inQuotes = true; quoteLine = line; atFieldStart = false
                } else if b == delimiter {
                    try endField()
                } else if b == 10 || b == 13 {
                    if b == 13 && i + 1 < n && bytes[i + 1] == 10 { i += 1 }
                    try endField()
                    if !(fields.count == 1 && fields[0].isEmpty) {
                        records.append(Record(fields: fields, line: recordLine))
                    }
                    fields.removeAll(keepingCapacity: true)
                    line += 1
                    recordLine = line
                } else {
                    field.append(b); atFieldStart = false
                }
                i += 1
            }
            if inQuotes {
                throw ParseError(origin: origin, line: quoteLine, reason: "a quoted field is never closed (truncated file?)")
            }
            if !field.isEmpty || !fields.isEmpty {
                try endField()
                records.append(Record(fields: fields, line: recordLine))
            }
        }
        return records
    }
}
