import Corpus
import CorpusPostgres
import Foundation
import TestSupport
import TriageKit
import XCTest

/// The work queue of issue 19 with the real binary: `mine --enqueue`, three `triage worker`
/// processes, one killed with SIGKILL in the middle of a shard; the corpus ends exactly as one
/// SQLite process mining the same archive leaves it (needs `TRIAGE_TEST_POSTGRES`).
final class WorkerQueueTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triage-queue") }
    override func tearDown() { folder.remove() }

    /// Starts a worker whose stdout and stderr go to files of the test folder.
    func startWorker(_ name: String, url: String) throws -> Process {
        let process = Process()
        process.executableURL = TriageRun.binary
        process.arguments = ["worker", "--db", url, "--until-empty", "--jobs", "1", "--stale-after", "2", "--name", name, "--json"]
        _ = FileManager.default.createFile(atPath: folder.file("\(name).out"), contents: nil)
        _ = FileManager.default.createFile(atPath: folder.file("\(name).err"), contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: folder.file("\(name).out"))
        process.standardError = FileHandle(forWritingAtPath: folder.file("\(name).err"))
        try process.run()
        return process
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: folder.file(name), encoding: .utf8)) ?? "" }

    /// An Open-i-style .tgz of `count` reports.
    func archive(_ count: Int) throws -> String {
        try OpenISample.write(count, to: folder.file("openi"))
        let tgz = folder.file("openi.tgz")
        let (status, output) = try TestProgram.run("/bin/tar", ["czf", tgz, "-C", folder.path, "openi"])
        XCTAssertEqual(status, 0, output)
        return tgz
    }

    /// The four label exports (csv and jsonl, rules and MeSH) and the table counts of `db`.
    func exports(_ db: String) throws -> [String] {
        var out: [String] = []
        for format in ["csv", "jsonl"] {
            for source in ["rules", "mesh"] {
                let run = try TriageRun.run(["labels", "export", "--scheme", "chestxray14", "--rules", TestPaths.rules,
                                      "--format", format, "--source", source, "--db", db])
                XCTAssertEqual(run.status, 0, run.stderr)
                out.append(run.stdout)
            }
        }
        let info = try TriageRun.run(["corpus", "info", "--json", "--db", db])
        XCTAssertEqual(info.status, 0, info.stderr)
        out.append(info.stdout.replacingOccurrences(of: db, with: "DB"))
        return out
    }

    func testThreeWorkersOneKilledMidShardMineExactlyWhatOneSQLiteProcessMines() throws {
        let url = try TestPostgres.freshURL()
        defer { try? PostgresCorpus(url: url).dropSchema() }
        let tgz = try archive(1_200)
        let mine = ["mine", tgz, "--scheme", "chestxray14", "--rules", TestPaths.rules, "--quiet"]

        let sqlite = folder.file("one.sqlite")
        let single = try TriageRun.run(mine + ["--db", sqlite])
        XCTAssertEqual(single.status, 0, single.stderr)

        let enqueued = try TriageRun.run(mine + ["--db", url, "--enqueue", "--shard-size", "100", "--json"])
        XCTAssertEqual(enqueued.status, 0, enqueued.stderr)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let first = try decoder.decode(EnqueueResult.self, from: Data(enqueued.stdout.utf8))
        XCTAssertEqual(first.inputs.map(\.items), [1_200])
        XCTAssertEqual(first.inputs.map(\.added), [12])
        let again = try TriageRun.run(mine + ["--db", url, "--enqueue", "--shard-size", "100"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("already queued (12 shards: 12 queued); nothing added"), again.stdout)

        // Three workers; the first is frozen (SIGSTOP) while the queue shows it holding a shard, and
        // killed there: its shard's transaction never commits.
        let store = try Workspace(corpusPath: url).corpus()
        let workers = try ["w1", "w2", "w3"].map { try startWorker($0, url: url) }
        var killed = false
        while !killed && workers[0].isRunning {
            guard try store.shardQueueCounts(staleAfter: 2).workers.contains("w1") else { usleep(2_000); continue }
            kill(workers[0].processIdentifier, SIGSTOP)
            if try store.shardQueueCounts(staleAfter: 2).workers.contains("w1") {
                kill(workers[0].processIdentifier, SIGKILL)
                killed = true
            } else {
                kill(workers[0].processIdentifier, SIGCONT)
            }
        }
        for worker in workers { worker.waitUntilExit() }
        XCTAssertTrue(killed, "w1 finished before it could be killed in the middle of a shard:\n" + read("w1.err"))
        XCTAssertEqual(workers[0].terminationReason, .uncaughtSignal)
        for (k, name) in ["w2", "w3"].enumerated() {
            XCTAssertEqual(workers[k + 1].terminationStatus, 0, read("\(name).err"))
        }
        // The dead worker's shard went back to the queue and a survivor mined it again.
        XCTAssertTrue((read("w2.err") + read("w3.err")).contains("attempt 2"), read("w2.err") + read("w3.err"))

        let status = try TriageRun.run(["jobs", "status", "--db", url, "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let queue = try decoder.decode(QueueStatus.self, from: Data(status.stdout.utf8))
        XCTAssertEqual(queue.counts.shards, ["done": 12])
        XCTAssertEqual(queue.counts.items, ["done": 1_200])
        XCTAssertEqual(queue.counts.reports, 1_200)

        // Byte for byte what one SQLite process gives, and the same row counts: nothing lost, nothing twice.
        let fromPostgres = try exports(url), fromSQLite = try exports(sqlite)
        XCTAssertGreaterThan(fromSQLite[0].split(separator: "\n").count, 1_000)
        for (k, (p, s)) in zip(fromPostgres, fromSQLite).enumerated() {
            XCTAssertEqual(Data(p.utf8), Data(s.utf8), "output \(k) differs")
        }
        XCTAssertTrue(fromPostgres[4].contains("\"document\":1200"), fromPostgres[4])
    }

    /// A report id repeated in two shards: the corpus ends as one `mine` of the folder leaves it (the
    /// first report in input order kept, the repeat counted bad), whether the shard of the first is
    /// written before the other's (the repeat is skipped) or after it (the first replaces the repeat).
    func testAReportIdRepeatedInAnotherShardEndsAsOneProcessMinesIt() throws {
        let reports = folder.file("openi")
        try OpenISample.write(30, to: reports)
        // Sorted names: shards of 10 are [1, 10...18], [19, 2, 20...27], [28, 29, 3, 30, 4...9].
        let twelve = try String(contentsOfFile: reports + "/12.xml", encoding: .utf8)
        try twelve.write(toFile: reports + "/20.xml", atomically: true, encoding: .utf8)  // the same report again
        let other = try String(contentsOfFile: reports + "/29.xml", encoding: .utf8).replacingOccurrences(of: "id=\"CXR29\"", with: "id=\"CXR11\"")
        XCTAssertTrue(other.contains("CXR11"))
        try other.write(toFile: reports + "/29.xml", atomically: true, encoding: .utf8)  // another text under the same id
        var options = MineOptions(paths: [reports])
        options.rules = RulesOptions(scheme: "chestxray14", folder: TestPaths.rules)
        options.source = "openi"
        let sqlitePath = folder.file("one.sqlite")
        let one = try Workspace(corpusPath: sqlitePath).mine(options, context: .silent)
        XCTAssertEqual(one.summary.inserted, 28)
        XCTAssertEqual(one.summary.bad, 2)
        let expected = try exports(sqlitePath)

        for firstShardLast in [false, true] {
            let url = try TestPostgres.freshURL()
            defer { try? PostgresCorpus(url: url).dropSchema() }
            let workspace = Workspace(corpusPath: url)
            XCTAssertEqual(try workspace.enqueue(options, shardSize: 10).inputs.map(\.added), [3])
            var worker = WorkerOptions()
            worker.untilEmpty = true
            worker.jobs = 1
            if firstShardLast {
                // Another worker holds the first shard and dies: it is mined last, after its stale claim is taken back.
                let held = try XCTUnwrap(try workspace.corpus().claimShard(worker: "ghost", staleAfter: 60))
                XCTAssertEqual(held.firstItem, 0)
                worker.staleAfter = 1
            }
            let mined = try workspace.work(worker)
            XCTAssertEqual(mined.shards, 3, "first shard last: \(firstShardLast)")
            XCTAssertEqual(mined.bad, 2, "first shard last: \(firstShardLast)")
            XCTAssertEqual(mined.inserted, firstShardLast ? 30 - 2 + 0 : 28, "first shard last: \(firstShardLast)")
            let got = try exports(url)
            for (k, (g, e)) in zip(got, expected).enumerated() {
                XCTAssertEqual(g.replacingOccurrences(of: url, with: "DB"), e, "export \(k), first shard last: \(firstShardLast)")
            }
        }
    }

    func testAFailedShardKeepsItsErrorAndARetryMinesIt() throws {
        let url = try TestPostgres.freshURL()
        defer { try? PostgresCorpus(url: url).dropSchema() }
        let tgz = try archive(30)
        let workspace = Workspace(corpusPath: url)
        var options = MineOptions(paths: [tgz])
        options.rules = RulesOptions(scheme: "chestxray14", folder: TestPaths.rules)
        let enqueued = try workspace.enqueue(options, shardSize: 20)
        XCTAssertEqual(enqueued.inputs.map(\.added), [2])

        // The archive changes after it was split: the shards fail with the file named and why.
        let modified = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: tgz)[.modificationDate] as? Date)
        try FileManager.default.setAttributes([.modificationDate: modified.addingTimeInterval(60)], ofItemAtPath: tgz)
        var worker = WorkerOptions()
        worker.untilEmpty = true
        worker.jobs = 1
        let failed = try workspace.work(worker)
        XCTAssertEqual(failed.shards, 0)
        XCTAssertEqual(failed.failed, 2)
        let status = try workspace.queueStatus()
        XCTAssertEqual(status.counts.shards, ["failed": 2])
        XCTAssertEqual(status.counts.failures.count, 2)
        for failure in status.counts.failures {
            XCTAssertTrue(failure.input.hasSuffix("/openi.tgz"), failure.input)
            XCTAssertTrue(failure.error.hasPrefix(failure.input + ": changed since it was enqueued"), failure.error)
        }
        XCTAssertTrue(status.text.contains("`triage jobs retry`"), status.text)

        // Put back as it was, retried: mined, and the corpus holds every report once.
        try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: tgz)
        XCTAssertEqual(try workspace.retryShards(ids: [status.counts.failures[0].id]), 1)
        XCTAssertEqual(try workspace.retryShards(ids: nil), 1)
        let mined = try workspace.work(worker)
        XCTAssertEqual(mined.shards, 2)
        XCTAssertEqual(mined.reports, 30)
        XCTAssertEqual(mined.inserted, 30)
        XCTAssertEqual(try workspace.queueStatus().counts.shards, ["done": 2])
        let documents = try workspace.corpus().tableCounts().first { $0.table == "document" }?.rows
        XCTAssertEqual(documents, 30)

        // Inputs that cannot be mined (another format, an empty folder) are refused at enqueueing with the
        // file and why, and then nothing is queued, not even for the good input beside them.
        let png = folder.file("scan.png")
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).write(to: URL(fileURLWithPath: png))
        let empty = folder.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        let copy = folder.file("copy.tgz")
        try FileManager.default.copyItem(atPath: tgz, toPath: copy)
        var unusable = options
        unusable.paths = [copy, png, empty]
        XCTAssertThrowsError(try workspace.enqueue(unusable, shardSize: 20)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(png): nothing in it can be mined: not UTF-8 text (invalid byte at offset 0)"), text)
            XCTAssertTrue(text.contains("\n\(empty): nothing in it can be mined: it holds no reports\n"), text)
            XCTAssertTrue(text.hasSuffix("\nnothing was queued"), text)
        }
        XCTAssertEqual(try workspace.queueStatus().counts.shards, ["done": 2])

        // A queue on an SQLite corpus is refused with the reason.
        let sqlite = Workspace(corpusPath: folder.file("c.sqlite"))
        XCTAssertThrowsError(try sqlite.enqueue(options, shardSize: 20)) { error in
            XCTAssertTrue("\(error)".contains("the work queue needs a PostgreSQL corpus"), "\(error)")
        }
    }
}
