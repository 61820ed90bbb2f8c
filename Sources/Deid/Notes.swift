import Foundation
import Inputs

/// One clinical note to de-identify.
public struct Note: Sendable, Equatable {
    /// The note's id (the record's note number, the file name, or the id column).
    public var id: String
    /// The patient, when the input names one (surrogates and date shifts are per patient).
    public var patient: String?
    /// The note number within the patient (PhysioNet records).
    public var note: String?
    /// The text (for PhysioNet records: after the newline that ends the first line).
    public var text: String
    /// Where the note starts, `file:line`.
    public var origin: String

    public init(id: String, patient: String?, note: String?, text: String, origin: String) {
        self.id = id
        self.patient = patient
        self.note = note
        self.text = text
        self.origin = origin
    }
}

/// Input formats of `triage deid`.
public enum NoteFormat: String, Sendable, CaseIterable, Codable {
    /// One note per file.
    case text
    /// CSV columns (`--text-column`, `--id-column`).
    case csv
    /// PhysioNet deid records: `START_OF_RECORD=P||||N||||` ... `||||END_OF_RECORD`.
    case physionet
}

/// Reads notes in each format; bad records are reported (`file:line: why`) and skipped.
public enum NoteReader {
    /// The records of a PhysioNet deid file. The text of a record starts after the newline that ends
    /// its first line and stops before `||||END_OF_RECORD`.
    public static func physionet(_ text: String, origin: String, bad: (InputError) -> Void) -> [Note] {
        var notes: [Note] = []
        let bytes = Array(text.utf8)
        let startMark = Array("START_OF_RECORD=".utf8)
        let endMark = Array("||||END_OF_RECORD".utf8)
        var i = 0
        var line = 1
        func lineAt(_ target: Int) -> Int {
            while i < target { if bytes[i] == 0x0A { line += 1 }; i += 1 }
            return line
        }
        var at = 0
        while let s = find(startMark, in: bytes, from: at) {
            let startLine = lineAt(s)
            guard let newline = bytes[s...].firstIndex(of: 0x0A) else {
                bad(InputError(file: origin, line: startLine, "a record header with no text after it"))
                break
            }
            let header = String(decoding: bytes[(s + startMark.count)..<newline], as: UTF8.self)
            let fields = header.components(separatedBy: "||||")
            let next = find(startMark, in: bytes, from: newline + 1) ?? bytes.count
            guard let e = find(endMark, in: bytes, from: newline + 1), e < next else {
                bad(InputError(file: origin, line: startLine, "a record with no ||||END_OF_RECORD before the next record or the end; skipped"))
                at = next
                continue
            }
            guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty, fields[2].trimmingCharacters(in: .whitespaces).isEmpty else {
                bad(InputError(file: origin, line: startLine, "expected START_OF_RECORD=PATIENT||||NOTE||||, found `\(header.prefix(60))`; skipped"))
                at = e + endMark.count
                continue
            }
            let body = bytes[(newline + 1)..<e]
            if body.contains(0) {
                bad(InputError(file: origin, line: startLine, "the record holds a NUL byte; skipped"))
            } else {
                notes.append(Note(id: "\(fields[0])-\(fields[1])", patient: fields[0], note: fields[1],
                                  text: String(decoding: body, as: UTF8.self), origin: "\(origin):\(startLine)"))
            }
            at = e + endMark.count
        }
        if notes.isEmpty, at == 0, !bytes.isEmpty {
            bad(InputError(file: origin, line: 1, "no START_OF_RECORD= line: not a PhysioNet deid file (use --format text or csv)"))
        }
        return notes
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, from < bytes.count else { return nil }
        var i = from
        while i + needle.count <= bytes.count {
            if bytes[i] == first, bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The notes of a CSV table: the text column, the id column (default: the line), the patient column.
    public static func csv(_ table: CSVTable, textColumn: String, idColumn: String?, patientColumn: String?,
                           bad: (InputError) -> Void) throws -> [Note] {
        let text = try table.column(named: textColumn, option: "--text-column")
        let id = try idColumn.map { try table.column(named: $0, option: "--id-column") }
        let patient = try patientColumn.map { try table.column(named: $0, option: "--patient-column") }
        var notes: [Note] = []
        for index in table.rows.indices {
            if let problem = table.problem(ofRow: index) { bad(problem); continue }
            let row = table.rows[index]
            let line = table.lines[index]
            notes.append(Note(id: id.map { row[$0] } ?? String(line), patient: patient.map { row[$0] }, note: nil,
                              text: row[text], origin: "\(table.path):\(line)"))
        }
        return notes
    }
}
