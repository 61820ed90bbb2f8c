/// The kinds of protected health information Triage finds in notes (HIPAA Safe Harbor, the ones
/// that occur in clinical text).
public enum PHIType: String, Codable, Sendable, CaseIterable {
    case name = "NAME", date = "DATE", age = "AGE", phone = "PHONE", email = "EMAIL", url = "URL"
    case ip = "IP", ssn = "SSN", id = "ID", location = "LOCATION", zip = "ZIP", hospital = "HOSPITAL"
}

/// One identifier found in a note: `start..<end` counts Unicode scalars (characters as Python and
/// JavaScript count code points) of the note's text, `text` is what lies there.
public struct PHISpan: Codable, Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var type: PHIType
    public var text: String

    public init(start: Int, end: Int, type: PHIType, text: String) {
        self.start = start
        self.end = end
        self.type = type
        self.text = text
    }
}

/// A date as it was written: which parts it has, for shifting it and writing it back in its form.
struct DateParts: Sendable, Equatable {
    var year: Int?
    var month: Int
    var day: Int?
}

/// A span in UTF-8 bytes while the detectors work.
struct ByteSpan: Sendable {
    var start: Int
    var end: Int
    var type: PHIType
    /// Higher wins where spans overlap (a title's name beats a lexicon guess).
    var strength: Int
    var date: DateParts? = nil
}
