import Foundation
import XCTest
import TestSupport

/// `triage resist` and `triage tb` run as a user runs them (real TB data from ../shared/data/tb).
final class TBCLITests: XCTestCase {
    static let root = TestPaths.root
    static let data = TestPaths.sharedData + "/tb"
    var directory: String!

    override func setUpWithError() throws {
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        directory = try TemporaryFolder("triage-tb").path
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func testHelpDocumentsTheOptions() throws {
        let run = try TriageRun.run(["resist", "--help"])
        XCTAssertEqual(run.status, 0)
        for option in ["--catalogue", "--genotypes", "--json", "--min-fraction", "--keep-going"] {
            XCTAssertTrue(run.stdout.contains(option), "resist --help lacks \(option)")
        }
        let tb = try TriageRun.run(["tb", "--help"])
        for command in ["import", "evaluate", "check-annotation", "example-vcf"] {
            XCTAssertTrue(tb.stdout.contains(command), "tb --help lacks \(command)")
        }
    }

    func testExampleVCFGivesOneJSONObjectWithTheDrugs() throws {
        let example = Self.root.appendingPathComponent("corpora/tb/example.vcf").path
        let run = try TriageRun.run(["resist", "--json", "--data", Self.data, example])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(object["sample"] as? String, "example")
        let drugs = try XCTUnwrap(object["drugs"] as? [String: [String: Any]])
        XCTAssertEqual(drugs["Rifampicin"]?["call"] as? String, "R")
        XCTAssertEqual(drugs["Isoniazid"]?["call"] as? String, "R")
        XCTAssertNotNil(drugs["Rifampicin"]?["probability"] as? Double)
        XCTAssertEqual(object["resistanceClass"] as? String, "Pre-XDR-TB")
    }

    func testBadFilesAreNamedSkippedAndCounted() throws {
        let other = directory + "/other.vcf"
        try "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
            .write(toFile: other, atomically: true, encoding: .utf8)
        let notTB = directory + "/phage.fa"
        try (">phage\n" + String(repeating: "ACGTTGCAGGCTAACGTTAGC", count: 400) + "\n")
            .write(toFile: notTB, atomically: true, encoding: .utf8)
        let example = Self.root.appendingPathComponent("corpora/tb/example.vcf").path
        let run = try TriageRun.run(["resist", "--data", Self.data, other, notTB, example])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("other.vcf:2: the VCF is on another reference"), run.stderr)
        XCTAssertTrue(run.stderr.contains("phage.fa: not M. tuberculosis"), run.stderr)
        XCTAssertTrue(run.stderr.contains("2 of 3 file(s) could not be used"), run.stderr)
        XCTAssertTrue(run.stdout.contains("example"), run.stdout)
        let keepGoing = try TriageRun.run(["resist", "--data", Self.data, "--keep-going", other, example])
        XCTAssertEqual(keepGoing.status, 0)
    }

    func testImportTwiceChangesNothing() throws {
        let phenotypes = directory + "/p.csv", genotypes = directory + "/g.csv"
        try "sample_id,drug,phenotype,method\n1,Rifampicin,R,WHO\n2,Rifampicin,S,ALL\n"
            .write(toFile: phenotypes, atomically: true, encoding: .utf8)
        try "sample_id,gene,variant,effect,allele_fraction,position\n1,rpoB,p.Ser450Leu,missense_variant,1.0,761155\n2,katG,,,,\n"
            .write(toFile: genotypes, atomically: true, encoding: .utf8)
        let db = directory + "/c.sqlite"
        for _ in 0..<2 {
            let run = try TriageRun.run(["tb", "import", "--db", db, "--phenotypes", phenotypes, "--genotypes", genotypes])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        let info = try TriageRun.run(["corpus", "info", "--json", "--db", db])
        let tables = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])?["tables"]
            as? [String: Int])
        XCTAssertEqual(tables["isolate"], 2)
        XCTAssertEqual(tables["variant"], 1)
        XCTAssertEqual(tables["phenotype"], 2)
        let evaluate = try TriageRun.run(["tb", "evaluate", "--db", db, "--data", Self.data, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("\"drug\":\"Rifampicin\""), evaluate.stdout)
    }
}

/// `triage train resistance` and `--model` on a small table written here.
final class TBModelCLITests: XCTestCase {
    func testTrainThenPredictAndEvaluateWithTheModel() throws {
        let data = TBCLITests.data
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        let directory = try TemporaryFolder("triage-tbmodel").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var phenotypes = "sample_id,drug,phenotype,method\n", genotypes = "sample_id,gene,variant,effect,allele_fraction,position\n"
        for i in 0..<600 {
            let resistant = i % 3 == 0
            phenotypes += "\(i),Rifampicin,\(resistant ? "R" : "S"),WHO\n"
            genotypes += "\(i),gyrA,p.Glu21Gln,missense_variant,1.0,7362\n"
            if resistant { genotypes += "\(i),rpoB,p.Ser450Leu,missense_variant,1.0,761155\n" }
        }
        try phenotypes.write(toFile: directory + "/p.csv", atomically: true, encoding: .utf8)
        try genotypes.write(toFile: directory + "/g.csv", atomically: true, encoding: .utf8)
        let model = directory + "/model"
        let train = try TriageRun.run(["train", "resistance", "--phenotypes", directory + "/p.csv",
                                       "--genotypes", directory + "/g.csv", "--output", model, "--epochs", "5", "--json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("\"drug\":\"Rifampicin\""), train.stdout)
        let example = TBCLITests.root.appendingPathComponent("corpora/tb/example.vcf").path
        let resist = try TriageRun.run(["resist", "--model", model, "--data", data, "--json", example])
        XCTAssertEqual(resist.status, 0, resist.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(resist.stdout.utf8)) as? [String: Any])
        let drugs = try XCTUnwrap(object["drugs"] as? [String: [String: Any]])
        XCTAssertEqual(drugs["Rifampicin"]?["call"] as? String, "R")
        let evaluate = try TriageRun.run(["tb", "evaluate", "--model", model, "--data", data, "--json",
                                          "--phenotypes", directory + "/p.csv", "--genotypes", directory + "/g.csv"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("test split"), evaluate.stdout)
        // Five folds of the catalogue and wdnn: JSON on stdout, fold progress on stderr.
        let folds = try TriageRun.run(["tb", "evaluate", "--folds", "5", "--arch", "catalogue,wdnn", "--epochs", "3", "--data", data,
                                       "--json", "--phenotypes", directory + "/p.csv", "--genotypes", directory + "/g.csv"])
        XCTAssertEqual(folds.status, 0, folds.stderr)
        XCTAssertTrue(folds.stderr.contains("wdnn: fold 5/5"), folds.stderr)
        let cv = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(folds.stdout.utf8)) as? [String: Any])
        let architectures = try XCTUnwrap(cv["architectures"] as? [[String: Any]])
        XCTAssertEqual(architectures.compactMap { $0["name"] as? String }, ["catalogue", "wdnn"])
        for a in architectures {
            let rif = try XCTUnwrap((a["drugs"] as? [[String: Any]])?.first { $0["drug"] as? String == "Rifampicin" })
            XCTAssertEqual(rif["samples"] as? Int, 600)
            XCTAssertGreaterThan(rif["auc"] as? Double ?? 0, 0.95)
        }
        let bad = try TriageRun.run(["tb", "evaluate", "--folds", "5", "--arch", "cnnx", "--data", data,
                                     "--phenotypes", directory + "/p.csv", "--genotypes", directory + "/g.csv"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("unknown architecture 'cnnx'"), bad.stderr)
    }
}
