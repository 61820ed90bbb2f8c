import Foundation
import XCTest
@testable import Vision

final class DICOMTests: XCTestCase {
    /// A 3 x 2 CT-like image: 16-bit signed, 12 bits stored, slope 2, intercept -10, window 40/400.
    /// `encapsulated`: Pixel Data as these items (the Basic Offset Table first) instead of native; `frames`: Number of Frames.
    func ctImage(explicit: Bool, syntax: String? = nil, photometric: String = "MONOCHROME2",
                 encapsulated: [[UInt8]]? = nil, frames: Int? = nil) -> DICOMBuilder {
        var b = DICOMBuilder(explicit: explicit, syntax: syntax)
        b.add(0x0008, 0x0050, "SH", string: "ACC123")
        b.add(0x0008, 0x0060, "CS", string: "CT")
        b.addUndefinedSequence(0x0008, 0x1032)  // a Procedure Code Sequence to skip
        b.add(0x0010, 0x0020, "LO", string: "PAT-7")
        b.add(0x0020, 0x000D, "UI", string: "1.2.3.4.5")
        b.add(0x0028, 0x0002, us: 1)
        b.add(0x0028, 0x0004, "CS", string: photometric)
        if let frames { b.add(0x0028, 0x0008, "IS", string: "\(frames)") }
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
        if let encapsulated { b.addEncapsulated(encapsulated) } else { b.add(0x7FE0, 0x0010, "OW", pixels) }
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

    func testUnsupportedTransferSyntaxIsRefusedByName() {
        let mpeg = ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.100").data
        assertImageError(["m.dcm", "1.2.840.10008.1.2.4.100", "MPEG2 Main Profile", "not supported", "gdcmconv"]) {
            _ = try DICOMImage.read(mpeg, origin: "m.dcm")
        }
        // A compressed transfer syntax over native Pixel Data, and the reverse.
        assertImageError(["j.dcm", "not encapsulated", "1.2.840.10008.1.2.4.50"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.50").data, origin: "j.dcm")
        }
        assertImageError(["e.dcm", "encapsulated (compressed) although"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, encapsulated: [[], DICOMTests.rleFrame]).data, origin: "e.dcm")
        }
    }

    /// The 3 x 2 CT image's pixels as one RLE frame (PS3.5 G): segment 1 the high bytes
    /// [FC 00 00 00 07 F8] as literal 1, repeat 3, literal 2; segment 2 the low bytes as one literal of 6.
    static let rleFrame: [UInt8] = {
        var header = DICOMBuilder.le32(2) + DICOMBuilder.le32(64) + DICOMBuilder.le32(71)
        header += [UInt8](repeating: 0, count: 64 - header.count)
        let high: [UInt8] = [0x00, 0xFC, 0xFE, 0x00, 0x01, 0x07, 0xF8]
        let low: [UInt8] = [0x05, 0x18, 0x00, 0x19, 0x64, 0xFF, 0x00]
        return header + high + low + [0]
    }()

    func testRLEAndEncapsulatedFrames() throws {
        let rle = "1.2.840.10008.1.2.5"
        let plain = try DICOMImage.read(ctImage(explicit: true).data, origin: "ct.dcm")
        let one = try DICOMImage.read(ctImage(explicit: true, syntax: rle, encapsulated: [[], DICOMTests.rleFrame]).data, origin: "r.dcm")
        XCTAssertEqual(one.values.pixels, plain.values.pixels)
        XCTAssertEqual(try one.storedValues(frame: 0), [-1000, 0, 25, 100, 2047, -2048])
        // Two frames: told apart by the Basic Offset Table, or one fragment each.
        let table = DICOMBuilder.le32(0) + DICOMBuilder.le32(8 + DICOMTests.rleFrame.count)
        for items in [[table, DICOMTests.rleFrame, DICOMTests.rleFrame], [[], DICOMTests.rleFrame, DICOMTests.rleFrame]] {
            let two = try DICOMImage.read(ctImage(explicit: true, syntax: rle, encapsulated: items, frames: 2).data, origin: "r2.dcm")
            XCTAssertEqual(two.frames, 2)
            XCTAssertEqual(try two.frame(1), plain.values)
            assertImageError(["r2.dcm", "frame 3 asked for", "has 2"]) { _ = try two.frame(2) }
        }
        // Three fragments for two frames and no offset table: RLE has no end marker to split on.
        assertImageError(["r3.dcm", "3 fragments for 2 frames", "no Basic Offset Table"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: rle, encapsulated: [[], [0], [0], [0]], frames: 2).data, origin: "r3.dcm")
        }
        // A segment table pointing past the frame, a short segment, too few segments.
        var past = DICOMTests.rleFrame
        past[8] = 200
        assertImageError(["p.dcm", "frame 1", "RLE", "segment 1 spans bytes 64..<200 of a 79-byte frame"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: rle, encapsulated: [[], past]).data, origin: "p.dcm")
        }
        var short = DICOMTests.rleFrame
        short[71] = 0x02  // a literal of 3: the segment decodes to 3 of 6 bytes, then ends
        short.removeLast(4)
        assertImageError(["s.dcm", "segment 2"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: rle, encapsulated: [[], short]).data, origin: "s.dcm")
        }
        var oneSegment = DICOMTests.rleFrame
        oneSegment[0] = 1
        assertImageError(["o.dcm", "1 segments", "need 2"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: rle, encapsulated: [[], oneSegment]).data, origin: "o.dcm")
        }
    }

    func testCodecErrorsNameTheFileAndFrame() {
        assertImageError(["j.dcm", "frame 1", "not a JPEG stream"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.50", encapsulated: [[], [0xFF, 0xD8, 0xFF, 0xD9]]).data,
                                    origin: "j.dcm")
        }
        assertImageError(["k.dcm", "frame 1", "JPEG 2000"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.90", encapsulated: [[], [0xFF, 0x4F, 0xFF, 0x51, 0, 0]]).data,
                                    origin: "k.dcm")
        }
        assertImageError(["l.dcm", "frame 1", "JPEG-LS"]) {
            _ = try DICOMImage.read(self.ctImage(explicit: true, syntax: "1.2.840.10008.1.2.4.80", encapsulated: [[], [0xFF, 0xD8, 0xFF, 0xF7, 0, 0]]).data,
                                    origin: "l.dcm")
        }
        // 65535 x 65535 x 2 bytes from a 4-byte codestream: refused before anything is allocated.
        var huge = DICOMBuilder(explicit: true, syntax: "1.2.840.10008.1.2.4.80")
        huge.add(0x0028, 0x0010, us: 65535)
        huge.add(0x0028, 0x0011, us: 65535)
        huge.add(0x0028, 0x0100, us: 16)
        huge.addEncapsulated([[], [0xFF, 0xD8, 0xFF, 0xD9]])
        assertImageError(["h.dcm", "would decode to 8589672450 bytes from a 4-byte JPEG-LS codestream"]) {
            _ = try DICOMImage.read(huge.data, origin: "h.dcm")
        }
    }

    func testColourPlanarPaletteAndOneBit() throws {
        func image(_ photometric: String, samples: Int, bits: Int = 8, columns: Int, rows: Int = 1, planar: Int? = nil, frames: Int? = nil,
                   extra: (inout DICOMBuilder) -> Void = { _ in }, pixels: [UInt8]) throws -> DICOMImage {
            var b = DICOMBuilder(explicit: true)
            b.add(0x0028, 0x0002, us: samples)
            b.add(0x0028, 0x0004, "CS", string: photometric)
            if let planar { b.add(0x0028, 0x0006, us: planar) }
            if let frames { b.add(0x0028, 0x0008, "IS", string: "\(frames)") }
            b.add(0x0028, 0x0010, us: rows)
            b.add(0x0028, 0x0011, us: columns)
            b.add(0x0028, 0x0100, us: bits)
            b.add(0x0028, 0x0101, us: bits)
            extra(&b)
            b.add(0x7FE0, 0x0010, "OB", pixels)
            return try DICOMImage.read(b.data, origin: "\(photometric).dcm")
        }
        let rgb = try image("RGB", samples: 3, columns: 1, pixels: [1, 2, 3])
        XCTAssertEqual(rgb.values.pixels, [1, 2, 3])
        XCTAssertEqual(rgb.windowed().pixels.map { ($0 * 255).rounded() }, [1, 2, 3])
        let planar = try image("RGB", samples: 3, columns: 2, planar: 1, pixels: [10, 11, 20, 21, 30, 31])
        XCTAssertEqual(planar.values.pixels, [10, 20, 30, 11, 21, 31])
        // YBR_FULL to RGB as pydicom converts it: R = Y + 1.402 (Cr - 128), rounded half up, clipped:
        // (100, 50, 200) -> (201, 75, 0).
        let ybr = try image("YBR_FULL", samples: 3, columns: 2, pixels: [100, 50, 200, 128, 128, 128])
        XCTAssertEqual(ybr.values.pixels, [201, 75, 0, 128, 128, 128])
        XCTAssertEqual(ybr.decodedPhotometric, "RGB")
        // YBR_FULL_422: Y0 Y1 Cb Cr for each pair of pixels.
        let ybr422 = try image("YBR_FULL_422", samples: 3, columns: 2, pixels: [100, 110, 128, 128])
        XCTAssertEqual(ybr422.values.pixels, [100, 100, 100, 110, 110, 110])
        // PALETTE COLOR: 8-bit indices through 16-bit tables of 2 entries starting at index 0.
        let palette = try image("PALETTE COLOR", samples: 1, columns: 2, extra: { b in
            for (i, table) in [[0, 65535], [100, 200], [65535, 0]].enumerated() {
                b.add(0x0028, 0x1101 + i, "US", DICOMBuilder.le16(2) + DICOMBuilder.le16(0) + DICOMBuilder.le16(16))
                b.add(0x0028, 0x1201 + i, "OW", table.flatMap { DICOMBuilder.le16($0) })
            }
        }, pixels: [1, 0])
        XCTAssertEqual(palette.values.pixels, [65535, 200, 0, 0, 100, 65535])
        XCTAssertEqual(palette.windowed().channels, 3)
        assertImageError(["PALETTE COLOR.dcm", "Red Palette Color LUT"]) { _ = try image("PALETTE COLOR", samples: 1, columns: 2, pixels: [0, 0]) }
        // 1-bit: 3 x 3 frames packed without padding, least significant bit first; frame 2 starts at bit 9.
        let bits = try image("MONOCHROME2", samples: 1, bits: 1, columns: 3, rows: 3, frames: 2, pixels: [213, 25, 1, 0])
        XCTAssertEqual(try bits.storedValues(frame: 0), [1, 0, 1, 0, 1, 0, 1, 1, 1])
        XCTAssertEqual(try bits.storedValues(frame: 1), [0, 0, 1, 1, 0, 0, 0, 1, 0])
        assertImageError(["MONOCHROME2.dcm", "truncated Pixel Data", "need 3 bytes, found 2"]) {
            _ = try image("MONOCHROME2", samples: 1, bits: 1, columns: 3, rows: 3, frames: 2, pixels: [213, 25])
        }
    }

    func testModalityLUTSequence() throws {
        var b = DICOMBuilder(explicit: true)
        b.add(0x0028, 0x0010, us: 1)
        b.add(0x0028, 0x0011, us: 3)
        b.add(0x0028, 0x0100, us: 16)
        // One item: LUT Descriptor (3 entries, first mapped 1, 16 bits) and LUT Data.
        let item = DICOMBuilder.element(0x0028, 0x3002, "US", DICOMBuilder.le16(3) + DICOMBuilder.le16(1) + DICOMBuilder.le16(16), explicit: true)
            + DICOMBuilder.element(0x0028, 0x3006, "OW", [100, 200, 300].flatMap { DICOMBuilder.le16($0) }, explicit: true)
        let items = DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE000) + DICOMBuilder.le32(item.count) + item
        b.body += DICOMBuilder.le16(0x0028) + DICOMBuilder.le16(0x3000) + Array("SQ".utf8) + [0, 0] + DICOMBuilder.le32(items.count) + items
        b.add(0x7FE0, 0x0010, "OW", [0, 1, 3].flatMap { DICOMBuilder.le16($0) })
        // Stored 0 is below the first value mapped (the first entry); 3 is past the last (the last entry).
        XCTAssertEqual(try DICOMImage.read(b.data, origin: "lut.dcm").values.pixels, [100, 100, 300])
    }

    func testBadInputsSayWhy() {
        let good = ctImage(explicit: true).data
        assertImageError(["t.dcm", "truncated"]) { _ = try DICOMImage.read(good.prefix(good.count - 5), origin: "t.dcm") }
        assertImageError(["n.dcm", "byte 128", "DICM"]) { _ = try DICOMImage.read(Data(count: 300), origin: "n.dcm") }
        var rgb = DICOMBuilder(explicit: true)
        rgb.add(0x0028, 0x0002, us: 3)
        rgb.add(0x0028, 0x0004, "CS", string: "RGB")
        rgb.add(0x0028, 0x0010, us: 1)
        rgb.add(0x0028, 0x0011, us: 2)
        rgb.add(0x0028, 0x0100, us: 8)
        rgb.add(0x7FE0, 0x0010, "OB", [1, 2, 3, 4])
        assertImageError(["rgb.dcm", "truncated Pixel Data", "need 6 bytes, found 4"]) { _ = try DICOMImage.read(rgb.data, origin: "rgb.dcm") }
        var cmyk = DICOMBuilder(explicit: true)
        cmyk.add(0x0028, 0x0002, us: 4)
        cmyk.add(0x0028, 0x0004, "CS", string: "CMYK")
        cmyk.add(0x0028, 0x0010, us: 1)
        cmyk.add(0x0028, 0x0011, us: 1)
        cmyk.add(0x0028, 0x0100, us: 8)
        cmyk.add(0x7FE0, 0x0010, "OB", [0, 0, 0, 0])
        assertImageError(["cmyk.dcm", "CMYK with 4 samples", "not supported"]) { _ = try DICOMImage.read(cmyk.data, origin: "cmyk.dcm") }
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
        assertImageError(["truncated Pixel Data", "need 32 bytes, found 4"]) { _ = try DICOMImage.read(short.data, origin: "s.dcm") }
        var noRows = DICOMBuilder(explicit: true)
        noRows.add(0x0028, 0x0011, us: 1)
        noRows.add(0x7FE0, 0x0010, "OB", [0, 0])
        assertImageError(["missing Rows", "(0028,0010)"]) { _ = try DICOMImage.read(noRows.data, origin: "r.dcm") }
    }
}
