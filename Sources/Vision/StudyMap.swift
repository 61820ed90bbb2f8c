import Foundation
import Inputs

/// The `image,study` map of `triage images import --map`: which report an image file belongs to.
public enum StudyMap {
    /// Reads `image,study` rows (CSV through `Inputs`; a first row whose first field is `image` is
    /// a header and skipped): image file name, stem or path -> study id. Errors name file:line.
    public static func read(path: String) throws -> [String: String] {
        var map: [String: String] = [:]
        var first = true
        try CSVReader(origin: InputFile.displayName(path)).forEachRecord(in: InputFile.read(path)) { record in
            let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            defer { first = false }
            if first && fields.first?.lowercased() == "image" { return }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty, !record.hasInvalidUTF8 else {
                throw ImageError(file: InputFile.displayName(path), position: "line \(record.line)",
                                 "expected image,study (two non-empty UTF-8 fields), found \(fields.joined(separator: ",").debugDescription)")
            }
            map[fields[0]] = fields[1]
        }
        return map
    }
}
