import Foundation

// libFuzzer entry points of the Triage fuzz targets (issue 12). One binary, many targets: the
// target is chosen by the environment variable TRIAGE_FUZZ_TARGET (`TRIAGE_FUZZ_TARGET=list`
// prints the targets). Built only by tools/fuzz, with `--sanitize=fuzzer` and
// `-sanitize=fuzzer,address`; never part of `swift build` (Package.swift declares it only when
// TRIAGE_FUZZ=1).
//
// Every target feeds the bytes to the public API of a reader or loader the way the CLI does, and
// then uses what it got a little (labels a report, resizes an image, runs a loaded model), so
// that a reader returning a value that breaks its users is found too. A thrown Swift error is a
// correct outcome; a trap, a sanitizer report, a timeout or an allocation past the limit is not.

/// One fuzz target.
struct FuzzTarget {
    /// The name given in TRIAGE_FUZZ_TARGET and to `tools/fuzz`.
    let name: String
    /// The largest input worth trying (`-max_len`); longer inputs are ignored.
    let maxLength: Int
    /// What it exercises.
    let summary: String
    /// One-time setup (rules, reference), before the first input.
    var setUp: () -> Void = {}
    /// How libFuzzer's inputs are mutated (Mutator.swift).
    var mutation: Mutation = .bytes
    /// Runs one input.
    let run: (Data) -> Void
}

/// Every target, in the order `tools/fuzz --all` runs them.
let targets: [FuzzTarget] = textTargets + genomicsTargets + imageTargets + archiveTargets + modelTargets

/// The selected target, set by `LLVMFuzzerInitialize`.
nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    let name = ProcessInfo.processInfo.environment["TRIAGE_FUZZ_TARGET"] ?? ""
    if name == "list" {
        for t in targets { print("\(t.name)\t\(t.maxLength)\t\(t.summary)") }
        exit(0)
    }
    guard let target = targets.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("""
            TriageFuzz: set TRIAGE_FUZZ_TARGET to one of: \(targets.map(\.name).joined(separator: ", "))
            (got '\(name)'); run it through tools/fuzz

            """.utf8))
        exit(2)
    }
    target.setUp()
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let target = selected, size <= target.maxLength else { return 0 }
    let bytes = size == 0 ? Data() : Data(bytes: data!, count: size)
    autoreleasepool { target.run(bytes) }
    return 0
}

#if !canImport(ObjectiveC)
/// Linux has no autorelease pool; keeps the call sites uniform.
@inline(__always) func autoreleasepool<T>(_ body: () throws -> T) rethrows -> T { try body() }
#endif

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
        _ = FileManager.default.createFile(atPath: path, contents: data)
        return path
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
