import Foundation
import XCTest
@testable import Vision

final class DICOMTests: XCTestCase {
    /// A 3 x 2 CT-like image: 16-bit signed, 12 bits stored, slope 2, intercept -10, window 40/400.
    func ctImage(explicit: Bool, syntax: String? = nil, photometric: String = "MONOCHROME2") -> DICOMBuilder {
        var b = DICOMBuilder(explicit: explicit, syntax: syntax)
        b.add(0x0008, 0x0050, "SH", string: "ACC123")
        b.add(0x0008, 0x0060, "CS", string: "CT")
        b.addUndefinedSequence(0x0008, 0x1032)  // a Procedure Code Sequence to skip
        b.add(0x0010, 0x0020, "LO", string: "PAT-7")
        b.add(0x0020, 0x000D, "UI", string: "1.2.3.4.5")
        b.add(0x0028, 0x0002, us: 1)
        b.add(0x0028, 0x0004, "CS", string: photometric)
        b.add(0x0028, 0x0010, us: 2)   // rows
        b.add(0x0028, 0x0011, us: 3)   // columns
        b.add(0x0028, 0x0100, us: 16)
        b.add(0x0028, 0x0101, us: 12)
        b.add(0x0028, 0x0102, us: 11)
        b.add(0x0028, 0x0103, us: 1)
        b.add(0x0028, 0x1050, "DS", string: "40\\50")
        b.add(0x0028, 0x1051, "DS", string: "400\\300")
        b.add(0x0028, 0x1052, "DS", string: "-10")
        b.add(0x0028, 0x1053, "DS", string: "2")
        var pixels: [UInt8] = []
        for v in [-1000, 0, 25, 100, 2047, -2048] { pixels += DICOMBuilder.le16(v & 0xFFFF) }
        b.add(0x7FE0, 0x0010, "OW", pixels)
        return b
    }

    func testExplicitLittleEndianRescaleAndTags() throws {
        let image = try DICOMImage.read(ctImage(explicit: true).data, origin: "ct.dcm")
        XCTAssertEqual(image.columns, 3)
        XCTAssertEqual(image.rows, 2)
        XCTAssertTrue(image.signed)
        XCTAssertEqual(image.values.pixels, [-2010, -10, 40, 190, 4084, -4106])
        XCTAssertEqual(image.windowCenter, 40)
        XCTAssertEqual(image.windowWidth, 400)
        XCTAssertEqual(image.accessionNumber, "ACC123")
        XCTAssertEqual(image.studyInstanceUID, "1.2.3.4.5")
        XCTAssertEqual(image.patientID, "PAT-7")
        XCTAssertEqual(image.modality, "CT")
    }

    func testImplicitLittleEndianReadsTheSame() throws {
        let explicit = try DICOMImage.read(ctImage(explicit: true).data, origin: "e.dcm")
        let implicit = try DICOMImage.read(ctImage(explicit: false).data, origin: "i.dcm")
        XCTAssertEqual(implicit.values, explicit.values)
        XCTAssertEqual(implicit.transferSyntax, "1.2.840.10008.1.2")
        XCTAssertEqual(implicit.accessionNumber, "ACC123")
    }

    func testWindowingFollowsTheStandardAndMonochrome1Inverts() throws {
        let image = try DICOMImage.read(ctImage(explicit: true).data, origin: "ct.dcm")
        let w = image.windowed()
        // Window 40/400: below -160 is 0, above 239 is 1, linear between (PS3.3 C.11.2.1.2.1).
        XCTAssertEqual(w.pixels[0], 0)
        XCTAssertEqual(w.pixels[4], 1)
        XCTAssertEqual(w.pixels[2], Float((40.0 - 39.5) / 399 + 0.5), accuracy: 1e-6)
        XCTAssertEqual(w.pixels[3], Float((190.0 - 39.5) / 399 + 0.5), accuracy: 1e-6)
        let inverted = try DICOMImage.read(ctImage(explicit: true, photometric: "MONOCHROME1").data, origin: "m1.dcm").windowed()
        for (a, b) in zip(w.pixels, inverted.pixels) { XCTAssertEqual(a + b, 1, accuracy: 1e-6) }
        // Without a window in the file or the call, the value range maps to [0, 1].
        let full = image.windowed(center: 1000, width: 1e6)
        XCTAssertTrue(full.pixels.allSatisfy { $0 > 0 && $0 < 1 })
        if case .float(let viaFile) = try ImageFile.decode(ctImage(explicit: true).data, origin: "ct.dcm") {
            XCTAssertEqual(viaFile, w)
        } else { XCTFail("DICOM should decode to Float") }
    }

    func testCompressedTransferSyntaxIsRefusedByName() {
        let jpeg = ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.50").data
        assertImageError(["j.dcm", "1.2.840.10008.1.2.4.50", "JPEG Baseline", "not supported", "gdcmconv"]) {
            _ = try DICOMImage.read(jpeg, origin: "j.dcm")
        }
        assertImageError(["RLE Lossless"]) { _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.5").data, origin: "r.dcm") }
        assertImageError(["Big Endian"]) { _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.2").data, origin: "b.dcm") }
    }

    func testBadInputsSayWhy() {
        let good = ctImage(explicit: true).data
        assertImageError(["t.dcm", "truncated"]) { _ = try DICOMImage.read(good.prefix(good.count - 5), origin: "t.dcm") }
        assertImageError(["n.dcm", "byte 128", "DICM"]) { _ = try DICOMImage.read(Data(count: 300), origin: "n.dcm") }
        var rgb = DICOMBuilder(explicit: true)
        rgb.add(0x0028, 0x0002, us: 3)
        rgb.add(0x0028, 0x0004, "CS", string: "RGB")
        rgb.add(0x0028, 0x0010, us: 1)
        rgb.add(0x0028, 0x0011, us: 1)
        rgb.add(0x0028, 0x0100, us: 8)
        rgb.add(0x7FE0, 0x0010, "OB", [1, 2, 3])
        assertImageError(["RGB", "monochrome only"]) { _ = try DICOMImage.read(rgb.data, origin: "rgb.dcm") }
        var noPixels = DICOMBuilder(explicit: true)
        noPixels.add(0x0028, 0x0010, us: 1)
        noPixels.add(0x0028, 0x0011, us: 1)
        noPixels.add(0x0028, 0x0100, us: 8)
        assertImageError(["no Pixel Data"]) { _ = try DICOMImage.read(noPixels.data, origin: "np.dcm") }
        var short = DICOMBuilder(explicit: true)
        short.add(0x0028, 0x0010, us: 4)
        short.add(0x0028, 0x0011, us: 4)
        short.add(0x0028, 0x0100, us: 16)
        short.add(0x7FE0, 0x0010, "OW", [0, 0, 0, 0])
        assertImageError(["truncated Pixel Data", "needs 32 bytes, found 4"]) { _ = try DICOMImage.read(short.data, origin: "s.dcm") }
        var noRows = DICOMBuilder(explicit: true)
        noRows.add(0x0028, 0x0011, us: 1)
        noRows.add(0x7FE0, 0x0010, "OB", [0, 0])
        assertImageError(["missing Rows", "(0028,0010)"]) { _ = try DICOMImage.read(noRows.data, origin: "r.dcm") }
    }
}
