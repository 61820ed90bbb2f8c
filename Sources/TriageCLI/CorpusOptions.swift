import ArgumentParser
import Corpus
import Foundation

/// The `--db` option every command that touches the corpus shares.
struct CorpusOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The SQLite corpus file (default: $TRIAGE_DB, else triage.sqlite in the working directory).",
        valueName: "path"))
    var db: String?

    /// Opens the corpus, or prints why it cannot and exits with code 2.
    func open() throws -> Corpus {
        let path = Corpus.resolvePath(db)
        do {
            return try Corpus(path: path)
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
    }
}

/// Where messages go: results on stdout, everything else on stderr.
enum Console {
    /// Writes one line to stderr, prefixed with "error: ".
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }
    /// Writes one line to stderr, prefixed with "warning: ".
    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
    /// Writes a line of progress or commentary to stderr.
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }
    /// Encodes a value as one line of JSON with sorted keys on stdout.
    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
