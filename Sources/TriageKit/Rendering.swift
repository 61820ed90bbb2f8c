import Foundation

/// A result that has a plain-text report for people (the CLI prints it; the server can offer it).
public protocol TextReport {
    /// The report, lines ending in "\n".
    var text: String { get }
}

extension String {
    /// The string padded with spaces to `width` characters (longer strings are kept whole).
    func padded(_ width: Int) -> String {
        count >= width ? self : padding(toLength: width, withPad: " ", startingAt: 0)
    }
}

/// How to count a label the rules called uncertain (-1) when scoring against a binary truth.
public enum UncertainCounting: String, Codable, Sendable, CaseIterable {
    /// Uncertain counts as positive.
    case positive
    /// Uncertain counts as negative.
    case negative
}

/// How every front end writes JSON: sorted keys, slashes as written, ISO 8601 dates, so the CLI's
/// `--json` and the server's responses are the same bytes for the same result.
public enum JSONOutput {
    /// A new encoder with the house settings.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
