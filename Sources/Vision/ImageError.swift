import Inputs
/// Why an image file could not be read, with where in the file (when known).
public struct ImageError: LocatedError, Equatable, Sendable {
    /// The file (or `file[member]` inside an archive).
    public var file: String
    /// A position in the file: "line 3" for text formats, "byte 132" for binary ones.
    public var position: String?
    /// What is wrong, in words a user can act on.
    public var reason: String

    /// An error about `file`, optionally at a `position` such as "line 3" or "byte 132".
    public init(file: String, position: String? = nil, _ reason: String) {
        self.file = file
        self.position = position
        self.reason = reason
    }

    public var errorFile: String? { file }
    /// The line when the position is one ("line 3"); binary positions stay in the description.
    public var errorLine: Int? {
        guard let position, position.hasPrefix("line ") else { return nil }
        return Int(position.dropFirst(5))
    }

    public var description: String {
        if let position { return "\(file): \(position): \(reason)" }
        return "\(file): \(reason)"
    }
}
