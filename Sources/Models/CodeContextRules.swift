import Foundation
import Mining

/// The ConText rules a code model judges mentions with (negated, uncertain, historical, someone
/// else's), and the files they were read from, which the model folder keeps (`context/`).
public struct CodeContextRules: Sendable {
    /// The compiled rules.
    public let rules: ContextRuleSet
    /// File name -> contents: `notes-context.txt` and `text.txt`.
    public let files: [String: Data]
    /// The two files, in the order `ContextRuleSet.load(path:textPath:)` reads them.
    public static let fileNames = [ContextRuleSet.fileName, "text.txt"]

    /// Reads and validates `notes-context.txt` and `text.txt` of `folder` (a rules folder or a model's `context/`).
    public static func load(folder: String) throws -> CodeContextRules {
        let paths = fileNames.map { (folder as NSString).appendingPathComponent($0) }
        let rules = try ContextRuleSet.load(path: paths[0], textPath: paths[1])
        var files: [String: Data] = [:]
        for (name, path) in zip(fileNames, paths) {
            guard let data = FileManager.default.contents(atPath: path) else { throw TextModelError("\(path): cannot be read") }
            files[name] = data
        }
        return CodeContextRules(rules: rules, files: files)
    }

    /// Writes the files into `folder`.
    func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in CodeContextRules.fileNames { try files[name]?.write(to: folder.appendingPathComponent(name)) }
    }
}
