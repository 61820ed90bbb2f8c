import Foundation
import Inputs

extension RuleSet {
    /// The environment variable naming the rules folder (`corpora/rules`).
    public static let environmentVariable = "TRIAGE_RULES"

    /// The rules folder: `explicit`, else `$TRIAGE_RULES`, else `corpora/rules` in the working
    /// directory or above it, else next to the executable or the source tree it was built from.
    public static func rulesFolder(_ explicit: String?) -> String? {
        ProjectFolder.find("corpora/rules", explicit: explicit, environmentVariable: environmentVariable)
    }

    /// The schemes of a rules folder (its sub-folders with a scheme.txt).
    public static func schemes(in folder: String) -> [String] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter {
            fm.fileExists(atPath: (folder as NSString).appendingPathComponent("\($0)/scheme.txt"))
        }.sorted()
    }

    /// Loads scheme `name` from the rules folder, with an error that lists the schemes there.
    public static func load(scheme name: String, rulesFolder: String) throws -> RuleSet {
        // A scheme is a folder of the rules folder, named plainly: never a path that leaves it.
        guard InputFile.isPlainName(name) else {
            throw RuleError(file: rulesFolder, line: nil, "a scheme is named by letters, digits, '_', '-' and '.', not `\(name)`")
        }
        let folder = (rulesFolder as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("scheme.txt")) else {
            let known = schemes(in: rulesFolder)
            throw RuleError(file: folder, line: nil,
                            "no scheme `\(name)` here (schemes: \(known.isEmpty ? "none" : known.joined(separator: ", "))); add a folder with scheme.txt to define one")
        }
        return try load(folder: folder)
    }

    /// The mapping file `corpora/mappings/<prefix>-<scheme>.txt` next to the rules folder, if it exists.
    public static func mappingFile(_ prefix: String, scheme: String, rulesFolder: String) -> String? {
        let path = ((rulesFolder as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("mappings/\(prefix)-\(scheme).txt")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
