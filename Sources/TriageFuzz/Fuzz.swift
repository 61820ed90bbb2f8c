import Foundation
import FuzzTargets

// libFuzzer entry points of the Triage fuzz targets (issue 12). One binary, many targets: the
// target is chosen by the environment variable TRIAGE_FUZZ_TARGET (`TRIAGE_FUZZ_TARGET=list`
// prints the targets). Built only by tools/fuzz, with `--sanitize=fuzzer` and
// `-sanitize=fuzzer,address`; never part of `swift build` (Package.swift declares it only when
// TRIAGE_FUZZ=1).
// The targets themselves are in Sources/FuzzTargets.

/// The selected target, set by `LLVMFuzzerInitialize`.
nonisolated(unsafe) var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    let name = ProcessInfo.processInfo.environment["TRIAGE_FUZZ_TARGET"] ?? ""
    if name == "list" {
        for t in fuzzTargets { print("\(t.name)\t\(t.maxLength)\t\(t.summary)") }
        exit(0)
    }
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("""
            TriageFuzz: set TRIAGE_FUZZ_TARGET to one of: \(fuzzTargets.map(\.name).joined(separator: ", "))
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
    let bytes = size > 0 ? data.map { Data(bytes: $0, count: size) } ?? Data() : Data()
    target.run(bytes)
    return 0
}

