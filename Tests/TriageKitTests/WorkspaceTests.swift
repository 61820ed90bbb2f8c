import Corpus
import Foundation
import Neural
import TestSupport
import TriageKit
import XCTest

/// Collects a job's events for assertions (jobs may send them from several threads).
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JobEvent] = []
    var cancelAfterProgress: Int?

    var context: JobContext {
        JobContext(events: { event in self.lock.lock(); self.events.append(event); self.lock.unlock() },
                   isCancelled: { [self] in
                       guard let limit = cancelAfterProgress else { return false }
                       return progress.count >= limit
                   })
    }
    var warnings: [String] { lock.lock(); defer { lock.unlock() }; return events.compactMap { if case .warning(let w) = $0 { return w }; return nil } }
    var progress: [JobProgress] { lock.lock(); defer { lock.unlock() }; return events.compactMap { if case .progress(let p) = $0 { return p }; return nil } }
    var epochs: [EpochProgress] { lock.lock(); defer { lock.unlock() }; return events.compactMap { if case .epoch(let e) = $0 { return e }; return nil } }
}

/// The application API as the server will call it: typed options in, Codable results and events out.
final class WorkspaceTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triagekit") }
    override func tearDown() { folder.remove() }

    func rules() -> RulesOptions { RulesOptions(scheme: "chestxray14", folder: TestPaths.rules) }

    /// A CSV of `count` reports, one of them empty, one with a duplicate id.
    func reports(_ count: Int) throws -> String {
        var csv = "id,text\n"
        for i in 0..<count {
            csv += "r\(i),\"FINDINGS: \(i % 2 == 0 ? "Right lower lobe consolidation." : "No pleural effusion.") IMPRESSION: \(i % 3 == 0 ? "Pneumonia." : "No acute disease.")\"\n"
        }
        csv += "r0,\"FINDINGS: a second report with the same id.\"\n"
        return try folder.write("reports.csv", csv)
    }

    func testMineReportsProgressWarnsAboutBadRowsAndIsIdempotent() throws {
        let workspace = Workspace(corpusPath: folder.file("c.sqlite"))
        var options = MineOptions(paths: [try reports(1200)])
        options.rules = rules()
        options.textColumn = "text"
        options.idColumn = "id"
        let log = EventLog()
        let first = try workspace.mine(options, context: log.context)
        XCTAssertEqual(first.summary.inserted, 1200)
        XCTAssertEqual(first.summary.bad, 1, "the duplicate id")
        XCTAssertTrue(log.warnings.contains { $0.contains("duplicate report id r0") }, "\(log.warnings)")
        XCTAssertGreaterThan(first.summary.counts["Consolidation"]?["positive"] ?? 0, 0, "\(first.summary.counts)")
        let again = try workspace.mine(options, context: .silent)
        XCTAssertEqual(again.summary.inserted, 0)
        XCTAssertEqual(again.summary.unchanged, 1200, "a re-run adds nothing")
        let json = String(decoding: try JSONEncoder().encode(first), as: UTF8.self)
        XCTAssertTrue(json.contains("\"inserted\":1200"), "the result encodes as the miner's summary: \(json)")
    }

    func testCancellingAMineKeepsWhatWasWrittenAndTheSameCallResumes() throws {
        let workspace = Workspace(corpusPath: folder.file("c.sqlite"))
        var options = MineOptions(paths: [try reports(2000)])
        options.rules = rules()
        options.textColumn = "text"
        options.idColumn = "id"
        let log = EventLog()
        log.cancelAfterProgress = 1
        let stopped = try workspace.mine(options, context: log.context)
        XCTAssertTrue(stopped.summary.interrupted)
        XCTAssertGreaterThan(stopped.summary.inserted, 0)
        XCTAssertLessThan(stopped.summary.inserted, 2000)
        XCTAssertTrue(log.warnings.contains { $0.contains("run the same command again to resume") }, "\(log.warnings)")
        let resumed = try workspace.mine(options, context: .silent)
        XCTAssertFalse(resumed.summary.interrupted)
        XCTAssertEqual(stopped.summary.inserted + resumed.summary.inserted, 2000)
        XCTAssertEqual(resumed.summary.unchanged, stopped.summary.inserted)
    }

    func testErrorsCarryTheFileAndLine() throws {
        let workspace = Workspace(corpusPath: folder.file("c.sqlite"))
        let broken = try folder.write("broken.csv", "label,text\nflu,\"fever and cough\nasthma,wheeze\n")
        XCTAssertThrowsError(try workspace.importTexts(TextImportJobOptions(file: broken, textColumn: "text", labelColumn: "label", task: "t"))) { error in
            let e = error as? TriageError
            XCTAssertEqual(e?.kind, .unusable)
            XCTAssertEqual(e?.file, broken)
            XCTAssertEqual(e?.line, 2, "the line where the quote opens: \(error)")
        }
        var scheme = rules()
        scheme.scheme = "no-such-scheme"
        var options = MineOptions(paths: [broken])
        options.rules = scheme
        XCTAssertThrowsError(try workspace.mine(options)) { error in
            XCTAssertTrue("\(error)".contains("no scheme `no-such-scheme`"), "\(error)")
        }
    }

    func testJobsThatNeedNoCorpusNeverCreateOne() throws {
        let path = folder.file("never.sqlite")
        let workspace = Workspace(corpusPath: path)
        var options = ResistOptions(files: [TestPaths.project("corpora/tb/example.vcf")])
        options.data.folder = try TestPaths.shared("tb")
        var samples: [String] = []
        _ = try workspace.resist(options) { samples.append($0.prediction.sample) }
        XCTAssertEqual(samples, ["example"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testResistStreamsSamplesInInputOrderAndCountsBadFiles() throws {
        let example = TestPaths.project("corpora/tb/example.vcf")
        let text = try String(contentsOfFile: example, encoding: .utf8)
        var files: [String] = []
        // A single-sample VCF is named after its file.
        for i in 0..<5 { files.append(try folder.write("s\(i).vcf", text)) }
        files.insert(try folder.write("bad.vcf", "not a vcf\n"), at: 2)
        var options = ResistOptions(files: files)
        options.data.folder = try TestPaths.shared("tb")
        let log = EventLog()
        var order: [String] = []
        let summary = try Workspace().resist(options, encodeJSON: true, context: log.context) { item in
            order.append(item.prediction.sample)
            XCTAssertNotNil(item.json)
        }
        XCTAssertEqual(order, (0..<5).map { "s\($0)" })
        XCTAssertEqual(summary.badFiles, 1)
        XCTAssertEqual(summary.samples, 5)
        XCTAssertTrue(log.warnings.contains { $0.hasPrefix(files[2]) }, "the bad file is named: \(log.warnings)")
    }

    /// The engine's thread count is process-wide: an image training run sets its own and puts back
    /// the caller's, also when it fails (here on a task the corpus does not have).
    func testTrainingAnImageModelPutsBackTheCallersThreadCount() throws {
        var options = TrainImageOptions(task: "no-such-task", output: folder.file("model"))
        options.threads = 1
        try EngineThreads.with(3) {
            XCTAssertThrowsError(try Workspace(corpusPath: folder.file("corpus.sqlite")).trainImage(options))
            XCTAssertEqual(Parallel.threads, 3)
        }
    }

    func testTrainTextRegistersTheModelWithItsTrainingData() throws {
        var csv = "diagnosis,vignette\n"
        for (label, keyword) in [("asthma", "wheeze"), ("eczema", "itching"), ("hepatitis", "jaundice")] {
            for i in 0..<10 { csv += "\(label),\"day \(i) \(keyword) and tired\"\n" }
        }
        let file = try folder.write("cases.csv", csv)
        let workspace = Workspace(corpusPath: folder.file("c.sqlite"))
        let imported = try workspace.importTexts(TextImportJobOptions(file: file, textColumn: "vignette", labelColumn: "diagnosis", task: "toy"))
        XCTAssertEqual(imported.summary.inserted, 30)
        var options = TrainTextOptions(labels: .task("toy"), output: folder.file("models/toy.safetensors"))
        options.settings.members = 1
        options.settings.epochs = 3
        options.settings.dimension = 8
        options.settings.filters = 8
        options.settings.preparation.buckets = 256
        let log = EventLog()
        let result = try workspace.trainText(options, context: log.context)
        XCTAssertEqual(result.name, "toy")
        XCTAssertEqual(log.epochs.map(\.epoch), [1, 2, 3], "one event per epoch")
        let models = try workspace.models().models
        XCTAssertEqual(models.map(\.name), ["toy"])
        XCTAssertEqual(models[0].kind, .text)
        XCTAssertEqual(models[0].training.labels, ["asthma", "eczema", "hepatitis"])
        XCTAssertEqual(models[0].metrics["validationAccuracy"], result.metrics["validationAccuracy"])
        XCTAssertEqual(models[0].file, URL(fileURLWithPath: options.output).standardizedFileURL.path)
    }
}
