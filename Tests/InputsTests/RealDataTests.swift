import Foundation
import XCTest
@testable import Inputs
import TestSupport

/// The reader on the real tables in ../shared/data (skipped when they are absent).
final class RealDataTests: XCTestCase {
    func testTheGenotypeTableReadsThroughColumnSelection() throws {
        let path = try TestPaths.shared("tb/isolates/genotypes_dev.csv.gz")
        let columns = ["sample_id", "gene", "variant", "effect", "allele_fraction", "position"]
        var rows = 0, samples = Set<String>(), first: CSVRow?, last: CSVRow?
        try CSVReader(origin: path).forEachRow(in: InputFile.read(path), columns: columns) { row in
            rows += 1
            samples.insert(row.values[0])
            if first == nil { first = row }
            last = row
        }
        XCTAssertEqual(rows, 447_589)
        XCTAssertEqual(samples.count, 40_526)
        XCTAssertEqual(first, CSVRow(line: 2, values: ["25191", "whiB7", "c.-195C>T", "upstream_gene_variant", "0.97", "3568874"]))
        XCTAssertEqual(last?.line, 447_590)
        XCTAssertEqual(last?.values.last, "2782975;2782969")
    }

    func testColumnSelectionAndWholeRecordsAgreeOnTheQuotedCatalogue() throws {
        let path = try TestPaths.shared("tb/tbdb_mutations.csv.gz")
        let data = try InputFile.read(path)
        let reader = CSVReader(origin: path)
        let records = try reader.records(in: data)
        var selected: [CSVRow] = []
        try reader.forEachRow(in: data, columns: ["comment", "Gene"]) { selected.append($0) }
        XCTAssertEqual(records.first?.fields, ["Gene", "Mutation", "type", "drug", "original_mutation", "confidence", "comment"])
        XCTAssertEqual(selected.count, records.count - 1)
        XCTAssertEqual(selected.map(\.values), records.dropFirst().map { [$0.fields[6], $0.fields[0]] })
        XCTAssertEqual(selected.map(\.line), records.dropFirst().map(\.line))
        XCTAssertTrue(selected.contains { $0.values[0].contains(",") }, "some comments are quoted and hold commas")
    }

    func testTheNegExAnnotationsAreATabSeparatedTable() throws {
        let path = try TestPaths.shared("reports/negex_annotations.tsv")
        let table = try CSVTable.read(path: path, delimiter: .tab)
        XCTAssertEqual(table.header, ["Report No.", "Concept", "Sentence", "Negation"])
        XCTAssertEqual(table.rows.count, 2376)
        XCTAssertTrue(table.validRows().problems.isEmpty)
        XCTAssertEqual(Set(table.rows.map { $0[3] }), ["Affirmed", "Negated"])
    }
}
