import Foundation

// The Triage fuzz targets (issue 12), as a library: the libFuzzer binary (Sources/TriageFuzz, built
// by tools/fuzz with AddressSanitizer) runs them on generated inputs, and FuzzRegressionTests replays
// every committed crasher and seed through them in `swift test`.
//
// Every target feeds the bytes to the public API of a reader or loader the way the CLI does, and
// then uses what it got a little (labels a report, resizes an image, runs a loaded model), so
// that a reader returning a value that breaks its users is found too. A thrown Swift error is a
// correct outcome; a trap, a sanitizer report, a timeout or an allocation past the limit is not.

/// How a target's inputs are mutated.
public enum Mutation: Sendable {
    /// libFuzzer's byte-level mutations (with the target's dictionary).
    case bytes
    /// JSON-aware edits of the part before the first `%%` line, and byte mutations.
    case json
}

/// One fuzz target.
public struct FuzzTarget {
    /// The name given in TRIAGE_FUZZ_TARGET and to `tools/fuzz`.
    public let name: String
    /// The largest input worth trying (`-max_len`); longer inputs are ignored.
    public let maxLength: Int
    /// What it exercises.
    public let summary: String
    /// One-time setup (rules, reference), before the first input.
    public var setUp: () -> Void = {}
    /// How libFuzzer's inputs are mutated (Mutator.swift).
    public var mutation: Mutation = .bytes
    /// Runs one input.
    public let run: (Data) -> Void
}

/// Every target, in the order `tools/fuzz --all` runs them.
public let fuzzTargets: [FuzzTarget] = textTargets + notesTargets + genomicsTargets + imageTargets + archiveTargets + modelTargets + serverTargets

/// A private scratch folder per process (removed at exit), for readers that only take a path.
enum Scratch {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "triage-fuzz-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.folder) }
        return path
    }()

    /// Writes `data` to `name` in the scratch folder (one path per name, reused) and returns the path.
    static func file(_ name: String, _ data: Data) -> String {
        let path = folder + "/" + name
        let directory = (path as NSString).deletingLastPathComponent
        if directory != folder { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        write(data, to: path)
        return path
    }

    /// Writes `data` to `path` (created or truncated) with plain POSIX calls: Foundation's
    /// `createFile` syncs the file to disk, which was a quarter of some targets' time.
    @discardableResult
    static func write(_ data: Data, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }

    /// An empty sub-folder `name` of the scratch folder (emptied if it exists).
    static func emptyFolder(_ name: String) -> String {
        let path = folder + "/" + name
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// The repository's `corpora/` folder (the fuzzer runs from the package root; TRIAGE_FUZZ_ROOT overrides).
func repositoryPath(_ relative: String) -> String {
    let root = ProcessInfo.processInfo.environment["TRIAGE_FUZZ_ROOT"] ?? FileManager.default.currentDirectoryPath
    return (root as NSString).appendingPathComponent(relative)
}

/// Splits `data` into at most `count` parts at the line `%%` (the multi-file targets' layout).
func parts(_ data: Data, count: Int) -> [Data] {
    var out: [Data] = []
    var start = data.startIndex
    let separator = Data("\n%%\n".utf8)
    while out.count < count - 1, let range = data.range(of: separator, in: start..<data.endIndex) {
        out.append(data[start..<range.lowerBound])
        start = range.upperBound
    }
    out.append(data[start..<data.endIndex])
    return out
}
