import Corpus
import Foundation
import Mining
import XCTest

/// Paths the tests share: the package root, its rules, the shared real data.
enum Fixtures {
    /// The package root (two folders above this file's folder).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// corpora/rules.
    static let rules = root.appendingPathComponent("corpora/rules").path
    /// ../shared/data.
    static let data = root.deletingLastPathComponent().appendingPathComponent("shared/data").path

    /// A real data file, or an XCTSkip that says it is absent.
    static func dataFile(_ relative: String) throws -> String {
        let path = (data as NSString).appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent (the shared real data is not on this machine)")
        }
        return path
    }

    /// A scheme of the project's rules.
    static func scheme(_ name: String) throws -> RuleSet {
        try RuleSet.load(scheme: name, rulesFolder: rules)
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "mining-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A fresh corpus in a temporary folder.
    static func corpus() throws -> Corpus {
        try Corpus(path: try temporaryFolder() + "/triage.sqlite")
    }
}

extension Labeler {
    /// The labels of one text as a dictionary label -> value.
    func values(_ text: String) -> [String: LabelValue] {
        Dictionary(label(text).map { ($0.observation, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
