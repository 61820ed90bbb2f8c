/// An error about a place in a file: what every reader of Triage throws, so that front ends can
/// show the file and line apart from the message (and a server can return them as fields).
public protocol LocatedError: Error, CustomStringConvertible {
    /// The file the error is about, when there is one.
    var errorFile: String? { get }
    /// The 1-based line in that file, when the error is about one line.
    var errorLine: Int? { get }
    /// What is wrong, in words a user can act on (without the file and line).
    var reason: String { get }
}

extension LocatedError {
    /// `file:line: reason`, `file: reason`, `line N: reason`, or the reason.
    public var description: String {
        switch (errorFile, errorLine) {
        case let (file?, line?): return "\(file):\(line): \(reason)"
        case let (file?, nil): return "\(file): \(reason)"
        case let (nil, line?): return "line \(line): \(reason)"
        default: return reason
        }
    }
}

/// Why an input file cannot be read, naming the file and, when it is about one record, its line.
public struct InputError: LocatedError, Equatable, Sendable {
    /// The file (`<stdin>` for standard input), or an archive member as `archive:member`.
    public var file: String
    /// The 1-based line the problem is on, when it is about one line or record.
    public var line: Int?
    /// What is wrong, in words a user can act on.
    public var reason: String

    /// An error about `file` (and `line`, when given).
    public init(file: String, line: Int? = nil, _ reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var errorFile: String? { file }
    public var errorLine: Int? { line }
}
