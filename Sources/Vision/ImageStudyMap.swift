import Foundation

/// The `--map` file of `images import`: which report study each image file belongs to.
public enum ImageStudyMap {
    /// Reads `image,study` rows (a header row starting with "image" is skipped); errors name file:line.
    public static func read(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError(file: path, "no such file, or it cannot be read")
        }
        var map: [String: String] = [:]
        let text = String(decoding: data, as: UTF8.self)
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            if number == 0 && fields.first?.lowercased() == "image" { continue }
            guard fields.count >= 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw ImageError(file: path, position: "line \(number + 1)", "expected image,study (two non-empty fields), found \(line.debugDescription)")
            }
            map[fields[0]] = fields[1]
        }
        return map
    }
}
