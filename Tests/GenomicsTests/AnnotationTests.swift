import XCTest
@testable import Genomics

final class AnnotationTests: XCTestCase {
    func testCatalogueCoordinatesAgree() throws {
        let data = try TestData.tb()
        let reference = try TestData.reference()
        let annotator = VariantAnnotator(reference: reference)
        let vcf = try VCF.read(try data.file("who2023_genomic_coordinates.vcf.gz"))
        let stride = ProcessInfo.processInfo.environment["GENOMICS_FULL_CHECK"] == nil ? 10 : 1
        let check = AnnotationCheck.run(vcf, annotator: annotator, stride: stride, keep: 3000)
        if ProcessInfo.processInfo.environment["GENOMICS_FULL_CHECK"] != nil {
            for m in check.mismatches { print("MISMATCH \(m.line) \(m.variant) expected \(m.expected) got \(m.produced)") }
        }
        print("annotation agreement \(check.matched)/\(check.records) = \(check.agreement), exact \(check.exact), ref mismatches \(check.refMismatches)")
        XCTAssertEqual(check.refMismatches, 0)
        XCTAssertGreaterThan(check.agreement, 0.95)
    }
}
