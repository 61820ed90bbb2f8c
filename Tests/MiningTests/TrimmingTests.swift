import Foundation
@testable import Mining
import XCTest

/// The rule files' trimming (on scalars) and splitting (the standard library's) equal Foundation's, which they replace.
final class TrimmingTests: XCTestCase {
    /// Every scalar either side of the boundary: the white space Foundation's sets hold and their neighbours.
    static let probes: [Unicode.Scalar] = (Array(0x00...0x2F) + Array(0x7F...0xA1) + [0x1680, 0x180E, 0x1FFF]
        + Array(0x2000...0x2030) + [0x205F, 0x2060, 0x3000, 0x3001, 0xFEFF, 0x1F600]).compactMap(Unicode.Scalar.init)

    func testTrimmingEqualsFoundationsOnEveryWhiteSpaceScalar() {
        for a in Self.probes {
            for b in [Unicode.Scalar(" "), "x", "\u{A0}", "\u{2028}", "\u{0301}"] {
                // The probe alone, around text, inside text, doubled, after a combining mark.
                for text in ["\(a)", "\(a)x\(a)", "x\(a)y", "\(a)\(b)k\(b)\(a)", "\(a)\(a)", "e\u{0301}\(a)", "\(a)\u{0301}z"] {
                    XCTAssertEqual(text.trimmingSpaces(), text.trimmingCharacters(in: .whitespaces),
                                   "spaces of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    XCTAssertEqual(text.trimmingWhitespace(), text.trimmingCharacters(in: .whitespacesAndNewlines),
                                   "white space of \(text.unicodeScalars.map { String($0.value, radix: 16) })")
                    XCTAssertEqual(text[...].trimmingSpaces(), text.trimmingCharacters(in: .whitespaces))
                }
            }
        }
    }

    func testSplittingOnABarEqualsComponentsSeparatedBy() {
        for text in ["", " | ", "a | b", "a | b | c", "a |  | b", "a || b", " |  | ", "a | ", " | a", "a|b", "é | ü\u{0301} | 😀",
                     "x | \u{0301}y", "a |  b | c |", "|||", " | | | "] {
            XCTAssertEqual(text.split(separator: " | ", omittingEmptySubsequences: false).map(String.init), text.components(separatedBy: " | "), text)
        }
    }
}
