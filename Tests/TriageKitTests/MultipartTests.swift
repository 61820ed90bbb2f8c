import Foundation
import TriageKit
import XCTest

/// The upload parser `triage serve` uses (RFC 7578), on plain bytes.
final class MultipartTests: XCTestCase {
    func parts(_ body: String, boundary: String = "b0") throws -> [(String, String?, String)] {
        var found: [(String, String?, String)] = []
        try Array(body.utf8).withUnsafeBytes { raw in
            try Multipart.parts(of: raw, boundary: boundary) { name, filename, bytes in
                found.append((name, filename, String(decoding: bytes, as: UTF8.self)))
            }
        }
        return found
    }

    func testAFormWithAFieldAndAFile() throws {
        XCTAssertEqual(Multipart.boundary(of: "multipart/form-data; boundary=\"b0\""), "b0")
        XCTAssertNil(Multipart.boundary(of: "multipart/form-data"))
        XCTAssertNil(Multipart.boundary(of: "multipart/form-data; boundary=" + String(repeating: "x", count: 201)))
        let found = try parts("--b0\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nvignettes\r\n"
                              + "--b0\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nid,text\n1,x\n\r\n--b0--\r\n")
        XCTAssertEqual(found.count, 2)
        XCTAssertEqual(found[0].0, "model")
        XCTAssertNil(found[0].1)
        XCTAssertEqual(found[0].2, "vignettes")
        XCTAssertEqual(found[1].0, "file")
        XCTAssertEqual(found[1].1, "a.csv")
        XCTAssertEqual(found[1].2, "id,text\n1,x\n")
    }

    func testMalformedBodiesAreRefusedWithAReason() {
        XCTAssertThrowsError(try parts("no delimiter at all")) { XCTAssertTrue("\($0)".contains("no complete part")) }
        XCTAssertThrowsError(try parts("--b0\r\nno header block\r\n--b0--")) { XCTAssertTrue("\($0)".contains("no header block")) }
        // A delimiter not followed by CRLF, or right after the previous one, is not a part.
        XCTAssertEqual(try parts("--b0--b0").count, 0)
        XCTAssertEqual(try parts("--b0\r--b0").count, 0)
    }
}
