import Foundation
import XCTest
import TestSupport

final class CLITests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try TemporaryFolder("triage-cli").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testHelpListsEveryCommandGroup() throws {
        let run = try TriageRun.run(["--help"])
        XCTAssertEqual(run.status, 0)
        for group in ["mine", "labels", "codes", "import", "train", "score", "resist", "tb",
                      "images", "predict", "evaluate", "corpus", "bench", "worker", "jobs"] {
            XCTAssertTrue(run.stdout.range(of: "\n  \(group) ") != nil, "--help does not list \(group):\n\(run.stdout)")
        }
        XCTAssertTrue(run.stdout.contains("USAGE: triage <subcommand>"))
    }

    func testEveryGroupDocumentsItsCommands() throws {
        let expected: [String: [String]] = [
            "labels": ["export", "evaluate", "agreement"],
            "codes": ["import", "lookup"],
            "import": ["csv"],
            "train": ["text", "image", "resistance"],
            "evaluate": ["text", "image"],
            "predict": ["image"],
            "tb": ["import", "evaluate"],
            "images": ["import", "info"],
            "corpus": ["info"],
            "bench": ["gemm", "engine"],
        ]
        for (group, commands) in expected {
            let run = try TriageRun.run([group, "--help"])
            XCTAssertEqual(run.status, 0, "\(group): \(run.stderr)")
            for command in commands {
                XCTAssertTrue(run.stdout.range(of: "\n  \(command) ") != nil,
                              "`triage \(group) --help` does not list \(command):\n\(run.stdout)")
            }
        }
        for leaf in [["mine"], ["score"], ["resist"]] {
            let run = try TriageRun.run(leaf + ["--help"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stdout.contains("USAGE: triage \(leaf[0])"), run.stdout)
            XCTAssertFalse(run.stdout.contains("not built yet"), run.stdout)
        }
    }

    func testVersion() throws {
        let run = try TriageRun.run(["--version"])
        XCTAssertEqual(run.status, 0)
        XCTAssertTrue(run.stdout.hasPrefix("0."), run.stdout)
    }

    func testCorpusInfoOnANewDatabasePrintsZeroCounts() throws {
        let run = try TriageRun.run(["corpus", "info", "--json"], directory: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let tables = try XCTUnwrap(object?["tables"] as? [String: Int])
        for table in ["document", "label", "code", "documentCode", "image", "isolate", "variant", "phenotype", "model"] {
            XCTAssertEqual(tables[table], 0, table)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/triage.sqlite"),
                      "the default database is triage.sqlite in the working directory")
        let text = try TriageRun.run(["corpus", "info"], directory: directory)
        XCTAssertTrue(text.stdout.contains("document") && text.stdout.contains(" 0"), text.stdout)
    }

    func testTriageDBEnvironmentVariableNamesTheDatabase() throws {
        let path = directory + "/from-env.sqlite"
        let run = try TriageRun.run(["corpus", "info"], environment: ["TRIAGE_DB": path], directory: directory)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testBadDatabasePathsExitWithCode2AndAClearMessage() throws {
        let notSQLite = directory + "/plain.txt"
        try Data("just some words, not a database".utf8).write(to: URL(fileURLWithPath: notSQLite))
        let locked = directory + "/locked.sqlite"
        _ = try TriageRun.run(["corpus", "info", "--db", locked])
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: locked)
        var cases: [(String, String)] = [
            (directory!, "is a directory"),
            (notSQLite, "not an SQLite database"),
            (directory + "/no/such/dir/x.sqlite", "does not exist"),
        ]
        if getuid() != 0 { cases.append((locked, "not readable and writable")) }  // root may write anything
        for (path, message) in cases {
            let run = try TriageRun.run(["corpus", "info", "--db", path])
            XCTAssertEqual(run.status, 2, "\(path): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(path): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("Fatal error"), run.stderr)
        }
    }

    func testBenchGemmReportsAFastKernelAsJSON() throws {
        // The binary picks OpenBLAS's kernels itself when the variable is unset.
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "OPENBLAS_CORETYPE")
        let process = Process()
        process.executableURL = TriageRun.binary
        process.arguments = ["bench", "gemm", "--json", "--size", "256", "--repeats", "2"]
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let kernel = try XCTUnwrap(object["kernel"] as? String)
        XCTAssertNotEqual(kernel, "Prescott")
        XCTAssertGreaterThan(try XCTUnwrap(object["gflops"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(object["engineGflops"] as? Double), 0)
    }

    func testBenchEngineProfilesEachLayerAndWritesInitialWeights() throws {
        let weights = directory + "/initial"
        let run = try TriageRun.run(["bench", "engine", "--models", "conv1d", "--steps", "5", "--profile", "--json",
                                     "--initial-weights", weights])
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: [String: Double]])
        let phases = try XCTUnwrap(object["conv1d"])
        for phase in ["forward 1 Conv1D", "backward 1 Conv1D", "backward 0 Embedding", "optimizer"] {
            XCTAssertGreaterThan(try XCTUnwrap(phases[phase], "\(phase) in \(phases.keys.sorted())"), 0)
        }
        // A safetensors file: an 8-byte little-endian header length, then a JSON header naming each tensor.
        let data = try Data(contentsOf: URL(fileURLWithPath: weights + "/conv1d.safetensors"))
        let length = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try XCTUnwrap(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
        let conv = try XCTUnwrap(header["1.weight"] as? [String: Any])
        XCTAssertEqual(conv["shape"] as? [Int], [128, 5, 64])
        XCTAssertEqual(Set(header.keys), ["__metadata__", "0.weight", "1.weight", "1.bias", "4.weight", "4.bias"])
        let unwritable = try TriageRun.run(["bench", "engine", "--models", "conv1d", "--steps", "5",
                                            "--initial-weights", "/proc/no/such/dir"])
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.stderr.contains("cannot write initial weights"), unwritable.stderr)
    }

    func testUnknownSubcommandIsAUsageError() throws {
        let run = try TriageRun.run(["frobnicate"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("Unexpected argument") || run.stderr.contains("frobnicate"), run.stderr)
    }
}
