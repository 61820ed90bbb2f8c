import Corpus
import Foundation
import XCTest
@testable import Genomics

final class IsolateImportTests: XCTestCase {
    func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testRowsOfTheWrongWidthAreSkippedAndNamedNotFatal() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tbwidth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let genotypes = try write("""
            sample_id,gene,variant,effect,allele_fraction,position
            1,rpoB,p.Ser450Leu,missense_variant,0.99,761155
            2,katG
            3,katG,"p.Ser315Thr",missense_variant,1.0,2155168
            """, "g.csv", in: dir)
        let g = try GenotypeTable.read(genotypes)
        XCTAssertEqual(g.samples, ["1", "3"])
        XCTAssertEqual(g.problems, ["\(genotypes):3: 2 fields where the header has 6; row skipped"])
        XCTAssertEqual(g.variants["3"]?.first?.variant.change, "p.Ser315Thr")
    }

    func testHeaderOnlyTablesAndImpossibleCellsAreNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tbcells-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A header alone imports nothing: an error, not "0 rows".
        let header = "sample_id,gene,variant,effect,allele_fraction,position\n"
        XCTAssertThrowsError(try GenotypeTable.read(try write(header, "h.csv", in: dir))) {
            XCTAssertTrue("\($0)".hasSuffix("h.csv:1: the table has a header but no rows: nothing to import"), "\($0)")
        }
        XCTAssertThrowsError(try PhenotypeTable.read(try write("sample_id,drug,phenotype,method\n", "hp.csv", in: dir)))
        let genotypes = try write(header + """
            1,rpoB,p.Ser450Leu,missense_variant,0x1p-2,761155
            2,rpoB,p.Ser450Leu,missense_variant,1,99999999999999999999999
            3,rpoB,\(String(repeating: "p.Ser450Leu", count: 1000)),missense_variant,1,761155
            4,rpoB,p.Ser450Leu,missense_variant,1,761155;761156
            """, "g.csv", in: dir)
        let g = try GenotypeTable.read(genotypes)
        XCTAssertEqual(g.problems.map { $0.replacingOccurrences(of: genotypes, with: "g.csv") }, [
            "g.csv:2: allele_fraction '0x1p-2' is not a decimal number in 0...1; row skipped",
            "g.csv:3: position '99999999999999999999999' is not a position of H37Rv (1 to 4411532); row skipped",
            "g.csv:4: variant is 11000 bytes, over the 10000-byte limit of a cell; row skipped",
        ])
        XCTAssertEqual(g.variants["4"]?.first?.position, "761155;761156")
        let phenotypes = try write("sample_id,drug,phenotype,method\n1,RIF,R,WHO\n1,Aspirin,R,WHO\n", "p.csv", in: dir)
        let p = try PhenotypeTable.read(phenotypes)
        XCTAssertEqual(p.phenotypes["1"]?.keys.sorted(), ["Rifampicin"])
        XCTAssertEqual(p.problems.count, 1)
        XCTAssertTrue(p.problems[0].contains("p.csv:3: drug 'Aspirin' is not one Triage knows"), p.problems[0])
    }

    func testImportIsIdempotentAndResolvesMethods() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tbimport-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let phenotypes = try write("""
            sample_id,drug,phenotype,method
            1,Rifampicin,R,WHO
            2,Rifampicin,S,ALL
            2,Rifampicin,R,CC-ATU
            2,Isoniazid,X,ALL
            """, "p.csv", in: dir)
        let genotypes = try write("""
            sample_id,gene,variant,effect,allele_fraction,position
            1,rpoB,p.Ser450Leu,missense_variant,0.99,761155
            1,katG,,,,
            3,katG,p.Ser315Thr,missense_variant,1.0,2155168
            3,katG,p.Gly1fs,frameshift,2.0,2155000
            """, "g.csv", in: dir)
        let corpus = try Corpus(path: dir.appendingPathComponent("c.sqlite").path)
        let p = try PhenotypeTable.read(phenotypes), g = try GenotypeTable.read(genotypes)
        XCTAssertEqual(p.problems.count, 1)   // phenotype X
        XCTAssertEqual(g.problems.count, 1)   // allele fraction 2.0
        XCTAssertEqual(p.phenotypes["2"]?["Rifampicin"]?.resistant, false)  // ALL outranks CC-ATU
        let first = try IsolateImport.run(corpus: corpus, phenotypes: p, genotypes: g, source: "test")
        XCTAssertEqual(first.isolatesCreated, 3)
        XCTAssertEqual(first.variants, 2)
        XCTAssertEqual(first.phenotypes, 2)
        let second = try IsolateImport.run(corpus: corpus, phenotypes: p, genotypes: g, source: "test")
        XCTAssertEqual(second.isolatesCreated, 0)
        XCTAssertEqual(second.isolatesExisting, 3)
        let counts = Dictionary(uniqueKeysWithValues: try corpus.tableCounts().map { ($0.table, $0.rows) })
        XCTAssertEqual(counts["isolate"], 3)
        XCTAssertEqual(counts["variant"], 2)
        XCTAssertEqual(counts["phenotype"], 2)
        let (loadedGenotypes, loadedPhenotypes) = try IsolateImport.load(corpus: corpus)
        XCTAssertEqual(loadedGenotypes.variants["1"]?.first?.variant.name, "rpoB p.Ser450Leu")
        XCTAssertEqual(loadedPhenotypes.phenotypes["1"]?["Rifampicin"]?.resistant, true)
    }
}
