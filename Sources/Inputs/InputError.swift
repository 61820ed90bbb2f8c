/// Why an input file cannot be read, naming the file and, when it is about one record, its line.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
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

    /// `file:line: reason`, or `file: reason` without a line.
    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}
