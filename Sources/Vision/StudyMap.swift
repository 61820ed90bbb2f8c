import Foundation
import Inputs

/// The `image,study` map of `triage images import --map`: which report an image file belongs to.
public enum StudyMap {
    /// Reads `image,study` rows (CSV through `Inputs`; a first row whose first field is `image` is
    /// a header and skipped): image file name, stem or path -> study id. Errors name file:line.
    public static func read(path: String) throws -> [String: String] {
        let name = InputFile.displayName(path)
        var map: [String: String] = [:]
        var first = true
        do {
            try CSVReader(origin: name).forEachRecord(in: InputFile.read(path)) { record in
                let fields = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
                defer { first = false }
                if first && fields.first?.lowercased() == "image" { return }
                guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty, !record.hasInvalidUTF8 else {
                    throw ImageError(file: name, position: "line \(record.line)",
                                     "expected image,study (two non-empty UTF-8 fields), found \(fields.joined(separator: ",").debugDescription)")
                }
                map[fields[0]] = fields[1]
            }
        } catch let error as InputError {
            throw ImageError(file: error.file, position: error.line.map { "line \($0)" }, error.reason)
        }
        return map
    }
}
