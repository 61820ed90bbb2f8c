import Foundation
import TestSupport
import XCTest

/// Every command's `--help` is documentation: each is compared with its snapshot in `Help/`,
/// so a changed flag, default or text shows up in review. With `TRIAGE_UPDATE_HELP=1` the
/// snapshots are written instead (then read the diff before committing it).
final class HelpSnapshotTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Help")

    /// Every command path with its help, found by walking the SUBCOMMANDS sections of the real binary's help.
    static func commands() throws -> [(path: [String], help: String)] {
        var found: [(path: [String], help: String)] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            let run = try TriageRun.run(path + ["--help"])
            XCTAssertEqual(run.status, 0, "triage \(path.joined(separator: " ")) --help: \(run.stderr)")
            found.append((path, run.stdout))
            for child in subcommands(in: run.stdout) where child != "help" { queue.append(path + [child]) }
        }
        return found
    }

    /// The names listed under "SUBCOMMANDS:" (lines indented by two spaces, name first).
    static func subcommands(in help: String) -> [String] {
        guard let section = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in help[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = line.dropFirst(2).prefix { $0 != " " }
            if !name.isEmpty { names.append(String(name)) }
        }
        return names
    }

    static func snapshotName(_ path: [String]) -> String {
        (path.isEmpty ? "triage" : "triage_" + path.joined(separator: "_")) + ".txt"
    }

    func testEveryCommandsHelpMatchesItsSnapshot() throws {
        let update = ProcessInfo.processInfo.environment["TRIAGE_UPDATE_HELP"] == "1"
        let commands = try Self.commands()
        XCTAssertGreaterThan(commands.count, 30, "the command tree was not walked: \(commands.map(\.path))")
        if update { try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true) }
        var expectedFiles = Set<String>()
        for (path, help) in commands {
            let name = Self.snapshotName(path)
            expectedFiles.insert(name)
            let file = Self.folder.appendingPathComponent(name)
            if update {
                try help.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            guard let snapshot = try? String(contentsOf: file, encoding: .utf8) else {
                XCTFail("no help snapshot \(name) for `triage \(path.joined(separator: " "))`; run the tests with TRIAGE_UPDATE_HELP=1")
                continue
            }
            XCTAssertEqual(help, snapshot, "`triage \(path.joined(separator: " ")) --help` differs from Help/\(name)")
        }
        let stored = Set(((try? FileManager.default.contentsOfDirectory(atPath: Self.folder.path)) ?? []).filter { $0.hasSuffix(".txt") })
        XCTAssertEqual(stored.subtracting(expectedFiles), [], "snapshots of commands that no longer exist")
    }
}
