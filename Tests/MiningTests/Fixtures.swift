import Corpus
import Foundation
import Mining
import XCTest
import TestSupport

/// The Mining tests' one helper beyond `TestSupport`: a scheme of the project's rules.
enum Fixtures {
    /// A scheme of the project's rules.
    static func scheme(_ name: String) throws -> RuleSet {
        try RuleSet.load(scheme: name, rulesFolder: TestPaths.rules)
    }
}

extension Labeler {
    /// The labels of one text as a dictionary label -> value.
    func values(_ text: String) -> [String: LabelValue] {
        Dictionary(label(text).map { ($0.observation, $0.value) }, uniquingKeysWith: { a, _ in a })
    }
}
