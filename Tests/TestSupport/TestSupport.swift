import Corpus
import Foundation
import XCTest

/// Where the tests find things: the package root, its rules, the shared real data.
public enum TestPaths {
    /// The package root (two folders above this file's folder).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// `corpora/rules`.
    public static let rules = root.appendingPathComponent("corpora/rules").path
    /// `../shared/data` beside the package.
    public static let sharedData = root.deletingLastPathComponent().appendingPathComponent("shared/data").path

    /// A file of the project itself (e.g. `corpora/tb/example.vcf`).
    public static func project(_ relative: String) -> String {
        root.appendingPathComponent(relative).path
    }

    /// A real data file of `../shared/data`, or an `XCTSkip` that says it is absent.
    public static func shared(_ relative: String) throws -> String {
        let path = (sharedData as NSString).appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(relative) is not in ../shared/data (the shared real data is not on this machine; see DEVELOPERS.md, Data)")
        }
        return path
    }
}

/// A fresh folder under the system's temporary folder, removed by `remove()`.
public struct TemporaryFolder {
    /// Its path.
    public let path: String

    /// Creates a folder named after `prefix` and a UUID.
    public init(_ prefix: String = "triage-tests") throws {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Its URL.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// A path inside the folder.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `text` to a file of the folder and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    /// A new corpus in the folder.
    public func corpus(_ name: String = "triage.sqlite") throws -> Corpus { try Corpus(path: file(name)) }

    /// Deletes the folder (permissions restored first).
    public func remove() {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The one approximate-equality check of the test suite: |a - e| <= atol + rtol * |e| element-wise.
///
/// Tolerances used across the suite:
/// - golden values against PyTorch (float32 on both sides, different summation orders and our
///   polynomial exp): rtol 1e-4, atol 1e-5 (the defaults);
/// - finite-difference gradient checks (float32 central differences, step 1e-2 or 1e-3): rtol 2e-2, atol 2e-3;
/// - metrics against scikit-learn or textbook values (Double): rtol 0, atol 1e-9 unless the reference is rounded.
public func assertClose<T: BinaryFloatingPoint>(_ actual: [T], _ expected: [T], rtol: T = 1e-4, atol: T = 1e-5,
                                                _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(message): \(actual.count) values, expected \(expected.count)", file: file, line: line)
    var worst = 0, worstExcess: T = 0, failures = 0
    for i in 0..<min(actual.count, expected.count) {
        let excess = abs(actual[i] - expected[i]) - (atol + rtol * abs(expected[i]))
        if excess > 0 || actual[i].isNaN {
            failures += 1
            if excess > worstExcess || actual[i].isNaN { worstExcess = excess; worst = i }
        }
    }
    if failures > 0 {
        XCTFail("\(message): \(failures) of \(actual.count) values differ; worst at \(worst): got \(actual[worst]), expected \(expected[worst])",
                file: file, line: line)
    }
}

/// `assertClose` for one value.
public func assertClose<T: BinaryFloatingPoint>(_ actual: T, _ expected: T, rtol: T = 1e-4, atol: T = 1e-5,
                                                _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    assertClose([actual], [expected], rtol: rtol, atol: atol, message, file: file, line: line)
}

/// The PostgreSQL server of the backend tests: `TRIAGE_TEST_POSTGRES` (tools/test starts one with
/// tools/postgres and sets it); without it those tests skip.
public enum TestPostgres {
    /// The environment variable with the server's URL.
    public static let variable = "TRIAGE_TEST_POSTGRES"

    /// A URL of a fresh schema on the test server (each test its own), or an `XCTSkip`.
    public static func freshURL() throws -> String {
        guard let base = ProcessInfo.processInfo.environment[variable], !base.isEmpty else {
            throw XCTSkip("\(variable) is not set: no PostgreSQL server for the backend tests (tools/test starts one with tools/postgres)")
        }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return base + (base.contains("?") ? "&" : "?") + "schema=" + name
    }
}

/// Open-i-style reports (XML) for mining tests: findings and impressions the rules label positive,
/// negative and uncertain, MeSH tags (one term twice), image references, an empty report.
public enum OpenISample {
    /// Writes `count` reports as `1.xml` ... into `directory` (created); `changed` reports get other findings.
    public static func write(_ count: Int, to directory: String, changed: Set<Int> = []) throws {
        let findings = ["Right lower lobe consolidation.", "No pleural effusion or pneumothorax.",
                        "Heart size is enlarged. Possible small left effusion.", "Lungs are clear.",
                        "Mild pulmonary edema. No focal consolidation.", ""]
        let impressions = ["Pneumonia.", "No acute disease.", "Cardiomegaly.", "Normal chest.", "Edema, cannot exclude atelectasis.", ""]
        let mesh = ["<major>normal</major>", "<major>Cardiomegaly/mild</major><minor>Cardiomegaly</minor>",
                    "<major>Pulmonary Edema</major><automatic>edema</automatic>", "<major>Pneumonia/right</major>", ""]
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for i in 1...count {
            let text = changed.contains(i) ? "Large right pleural effusion." : findings[i % findings.count]
            let xml = """
                <?xml version="1.0" encoding="utf-8"?>
                <eCitation><uId id="CXR\(i)"/><MedlineCitation><Article><Abstract>
                <AbstractText Label="FINDINGS">\(text)</AbstractText>
                <AbstractText Label="IMPRESSION">\(impressions[(i / 2) % impressions.count])</AbstractText>
                </Abstract></Article></MedlineCitation>
                <MeSH>\(mesh[i % mesh.count])</MeSH>
                <parentImage id="CXR\(i)_IM-\(i)-1001"></parentImage><parentImage id="CXR\(i)_IM-\(i)-2001"></parentImage>
                </eCitation>
                """
            try xml.write(toFile: "\(directory)/\(i).xml", atomically: true, encoding: .utf8)
        }
    }
}

/// Runs the built `triage` binary the way a user does and captures what it prints.
public struct TriageRun {
    public let status: Int32
    public let stdout: String
    public let stderr: String

    /// The `triage` binary of this build.
    public static var binary: URL {
        // On Linux the test bundle sits beside the products in the build folder.
        Bundle.main.bundleURL.appendingPathComponent("triage")
    }

    /// Runs `triage arguments` (without `TRIAGE_DB`, with `environment` added) to the end.
    public static func run(_ arguments: [String], environment: [String: String] = [:],
                    directory: String? = nil) throws -> TriageRun {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "TRIAGE_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return TriageRun(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Programs some tests run beside the Swift code (node, python3, unzip), when they are installed.
public enum TestProgram {
    /// The executable `name` on PATH, if any.
    public static func find(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments` (`environment` added to this process's): its exit status,
    /// and its output and errors together.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
