import Foundation
import FuzzTargets
import TestSupport
import XCTest

/// Every input that once crashed a fuzz target (Tests/Fuzz/Crashers/<target>/) and every seed
/// (Tests/Fuzz/Seeds/<target>/) goes through its target again: a crash, trap or runaway allocation
/// ends this test process, so each fixed crasher stays fixed. tools/fuzz finds new ones.
final class ReplayTests: XCTestCase {
    func inputs(_ folder: String, target: String) -> [String] {
        let path = TestPaths.root.appendingPathComponent("Tests/Fuzz/\(folder)/\(target)").path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { path + "/" + $0 }
    }

    func testEveryCrasherAndSeedRunsThroughItsTarget() throws {
        setenv("TRIAGE_FUZZ_ROOT", TestPaths.root.path, 1)
        var crashers = 0, seeds = 0
        for target in fuzzTargets {
            let found = (inputs("Crashers", target: target.name), inputs("Seeds", target: target.name))
            guard !found.0.isEmpty || !found.1.isEmpty else { continue }
            target.setUp()
            for file in found.0 + found.1 {
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                target.run(data.count <= target.maxLength ? data : data.prefix(target.maxLength))
            }
            crashers += found.0.count
            seeds += found.1.count
        }
        XCTAssertGreaterThanOrEqual(crashers, 37, "the crashers committed so far")
        XCTAssertGreaterThan(seeds, 50)
    }

    func testEveryParserHasATarget() {
        let names = Set(fuzzTargets.map(\.name))
        for name in ["openi-xml", "csv", "tsv", "context-tsv", "report-text", "rules", "icd10-xml", "vcf", "fasta", "gff3", "genotypes",
                     "phenotypes", "npy", "npz", "png", "netpbm", "dicom", "gzip", "tar", "zip", "safetensors",
                     "text-model-config", "image-model-config", "resistance-model-config", "deid", "sam-header", "called-vcf",
                     "multipart"] {
            XCTAssertTrue(names.contains(name), name)
        }
    }
}
