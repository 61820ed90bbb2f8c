import Foundation
import XCTest
@testable import Vision

final class NetPBMTests: XCTestCase {
    func testAsciiGreyWithCommentsScalesMaxval() throws {
        let text = "P2\n# a comment\n3 2\n# another\n15\n0 15 5\n10 1 15\n"
        guard case .uint8(let image) = try NetPBM.decode(Data(text.utf8), origin: "a.pgm") else { return XCTFail("8-bit expected") }
        XCTAssertEqual(image.width, 3)
        XCTAssertEqual(image.height, 2)
        XCTAssertEqual(image.pixels, [0, 255, 85, 170, 17, 255])
    }

    func testBinaryGreyAndColour() throws {
        let grey = Data(Array("P5 2 2 255\n".utf8) + [0, 64, 128, 255])
        XCTAssertEqual(try NetPBM.decode(grey, origin: "g.pgm"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 2, pixels: [0, 64, 128, 255]))))
        let colour = Data(Array("P6\n2 1\n255\n".utf8) + [255, 0, 0, 0, 0, 255])
        XCTAssertEqual(try NetPBM.decode(colour, origin: "c.ppm"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 0, 0, 255]))))
        let ascii = Data("P3 1 1 255 10 20 30".utf8)
        XCTAssertEqual(try NetPBM.decode(ascii, origin: "c.ppm").channels, 3)
    }

    func testSixteenBitBinaryIsBigEndian() throws {
        let data = Data(Array("P5 2 1 65535\n".utf8) + [0x01, 0x02, 0xFF, 0xFF])
        guard case .uint16(let image) = try NetPBM.decode(data, origin: "w.pgm") else { return XCTFail("16-bit expected") }
        XCTAssertEqual(image.pixels, [0x0102, 0xFFFF])
        XCTAssertEqual(try NetPBM.decode(try XCTUnwrap(NetPBM.encode(.uint16(image))), origin: "w2.pgm"), .uint16(image))
    }

    func testEncodeRoundTrip() throws {
        let image = try XCTUnwrap(ImageBuffer<UInt8>(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 14) }))
        XCTAssertEqual(try NetPBM.decode(try XCTUnwrap(NetPBM.encode(.uint8(image))), origin: "r.ppm"), .uint8(image))
    }

    func testBadInputsSayWhereAndWhy() {
        assertImageError(["x.pgm", "byte 0", "no P2, P3, P5 or P6 magic"]) { _ = try NetPBM.decode(Data("GIF89a".utf8), origin: "x.pgm") }
        assertImageError(["PBM"]) { _ = try NetPBM.decode(Data("P4 1 1\n\0".utf8), origin: "b.pbm") }
        assertImageError(["t.pgm", "truncated", "need 4 bytes", "has 2"]) {
            _ = try NetPBM.decode(Data(Array("P5 2 2 255\n".utf8) + [1, 2]), origin: "t.pgm")
        }
        assertImageError(["t.pgm", "line 3", "truncated: expected 4 samples, found 3"]) {
            _ = try NetPBM.decode(Data("P2\n2 2\n255 1 2 3".utf8), origin: "t.pgm")
        }
        assertImageError(["line 2", "expected a number"]) { _ = try NetPBM.decode(Data("P2\nx 2 255\n".utf8), origin: "n.pgm") }
        assertImageError(["exceeds maxval 10"]) { _ = try NetPBM.decode(Data("P2 1 1 10 11".utf8), origin: "m.pgm") }
        assertImageError(["maxval must be"]) { _ = try NetPBM.decode(Data("P2 1 1 0 0".utf8), origin: "m.pgm") }
        assertImageError(["must be positive"]) { _ = try NetPBM.decode(Data("P5 0 1 255\n".utf8), origin: "z.pgm") }
        assertImageError(["no height"]) { _ = try NetPBM.decode(Data("P5 3".utf8), origin: "h.pgm") }
    }
}
