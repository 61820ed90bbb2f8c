import Foundation
import Inputs
import Vision

/// Why a job could not do what was asked, in words a user can act on, with the file and line
/// it is about when there is one.
public struct TriageError: LocatedError, Sendable, Codable, Equatable {
    /// What kind of failure: front ends map it to an exit code or an HTTP status.
    public enum Kind: String, Sendable, Codable {
        /// An input, model, rule set, corpus or option that cannot be used: nothing was done (exit 2).
        case unusable
        /// The job ran but found nothing to do or could not finish all of it (exit 1).
        case failed
        /// What the request names (a document, a job) does not exist (exit 2; a server answers 404).
        case notFound
        /// What the request names is in a state that does not allow it, such as restarting a job that
        /// runs (exit 2; a server answers 409).
        case conflict
    }

    /// The kind.
    public var kind: Kind
    /// The message, without the file and line.
    public var message: String
    /// The file the error is about, when there is one.
    public var file: String?
    /// The 1-based line in that file, when there is one.
    public var line: Int?

    /// An error of `kind`.
    public init(_ kind: Kind, _ message: String, file: String? = nil, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    public var errorFile: String? { file }
    public var errorLine: Int? { line }
    public var reason: String { message }

    /// The error a library threw, as a `TriageError` (its file and line kept where the library names them).
    public init(_ error: Error, kind: Kind = .unusable) {
        switch error {
        case let error as TriageError:
            self = error
        case let error as ImageError where error.position != nil && error.errorLine == nil:
            // A byte offset is part of what the user reads, not a line to jump to.
            self.init(kind, "\(error.position ?? ""): \(error.reason)", file: error.file)
        case let error as LocatedError:
            self.init(kind, error.reason, file: error.errorFile, line: error.errorLine)
        default:
            self.init(kind, "\(error)")
        }
    }
}

extension DecodingError {
    /// The error in a sentence: which field, and what was wrong with it (for API answers and skipped lines).
    public var sentence: String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }
            return keys.isEmpty ? "" : " at '\(keys.joined(separator: "."))'"
        }
        switch self {
        case .dataCorrupted(let c): return "not valid JSON\(path(c))"
        case .keyNotFound(let key, let c): return "the field '\(key.stringValue)' is missing\(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "a field has the wrong type\(path(c))"
        @unknown default: return "\(self)"
        }
    }
}
