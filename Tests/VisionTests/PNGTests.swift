import Foundation
import XCTest
@testable import Vision

final class PNGTests: XCTestCase {
    func testHandBuiltEightBitGrey() throws {
        let png = handBuiltPNG(width: 3, height: 2, bitDepth: 8, colorType: 0, rows: [[0, 128, 255], [1, 2, 3]])
        XCTAssertEqual(try ImageFile.decode(png, origin: "g.png"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 3, height: 2, pixels: [0, 128, 255, 1, 2, 3]))))
    }

    func testHandBuiltSixteenBitGreyKeepsAllBits() throws {
        // PNG stores 16-bit samples big-endian: 0x0102 and 0xFFFE.
        let png = handBuiltPNG(width: 2, height: 1, bitDepth: 16, colorType: 0, rows: [[0x01, 0x02, 0xFF, 0xFE]])
        XCTAssertEqual(try PNGCodec.decode(png, origin: "w.png"),
                       .uint16(try XCTUnwrap(ImageBuffer(width: 2, height: 1, pixels: [0x0102, 0xFFFE]))))
    }

    func testHandBuiltRGBAndSixteenBitRGB() throws {
        let rgb = handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 2, rows: [[255, 0, 0, 1, 2, 3]])
        XCTAssertEqual(try PNGCodec.decode(rgb, origin: "c.png"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 1, channels: 3, pixels: [255, 0, 0, 1, 2, 3]))))
        let wide = handBuiltPNG(width: 1, height: 1, bitDepth: 16, colorType: 2, rows: [[0, 1, 0x10, 0, 0xFF, 0xFF]])
        XCTAssertEqual(try PNGCodec.decode(wide, origin: "c16.png"),
                       .uint16(try XCTUnwrap(ImageBuffer(width: 1, height: 1, channels: 3, pixels: [1, 0x1000, 0xFFFF]))))
    }

    func testPaletteExpandsAndAlphaIsDropped() throws {
        let palette = handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[1, 0]],
                                   palette: [10, 20, 30, 200, 100, 50])
        XCTAssertEqual(try PNGCodec.decode(palette, origin: "p.png"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 1, channels: 3, pixels: [200, 100, 50, 10, 20, 30]))))
        let greyAlpha = handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[7, 255, 9, 0]])
        XCTAssertEqual(try PNGCodec.decode(greyAlpha, origin: "ga.png"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 1, pixels: [7, 9]))))
    }

    func testTwoBitPaletteExpands() throws {
        // Four 2-bit indices in one byte: 0, 1, 2, 3.
        let png = handBuiltPNG(width: 4, height: 1, bitDepth: 2, colorType: 3, rows: [[0b0001_1011]],
                               palette: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        XCTAssertEqual(try PNGCodec.decode(png, origin: "p2.png"),
                       .uint8(try XCTUnwrap(ImageBuffer(width: 4, height: 1, channels: 3, pixels: [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]))))
    }

    func testPaletteIndexPastThePaletteIsAnError() {
        // libpng would expand index 5 of a one-colour palette to black without a word.
        let png = handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 3, rows: [[0, 5]], palette: [9, 9, 9])
        assertImageError(["pal.png", "pixel (1, 0) has palette index 5, past the 1 colours"]) { _ = try PNGCodec.decode(png, origin: "pal.png") }
    }

    func testImageDataPastThePixelsStopsEarly() {
        // A 2 x 1 grey image needs 3 bytes of scanlines; 40,000 follow. libpng would inflate all of
        // them at png_read_end (1 GiB in a bomb) and accept the image.
        let png = handBuiltPNG(width: 2, height: 1, bitDepth: 8, colorType: 0, rows: [[UInt8](repeating: 7, count: 40_000)])
        assertImageError(["bomb.png", "inflates past the 3 bytes its pixels need", "stopped after 16384"]) {
            _ = try PNGCodec.decode(png, origin: "bomb.png")
        }
    }

    func testEncoderRoundTripsThroughLibpng() throws {
        let grey = try XCTUnwrap(ImageBuffer<UInt8>(width: 5, height: 4, pixels: (0..<20).map { UInt8($0 * 13) }))
        XCTAssertEqual(try PNGCodec.decode(try PNGCodec.encode(.uint8(grey)), origin: "r.png"), .uint8(grey))
        let wide = try XCTUnwrap(ImageBuffer<UInt16>(width: 2, height: 2, channels: 3, pixels: (0..<12).map { UInt16($0 * 5000 + 3) }))
        XCTAssertEqual(try PNGCodec.decode(try PNGCodec.encode(.uint16(wide)), origin: "r16.png"), .uint16(wide))
    }

    func testBadInputsSayWhy() throws {
        let png = handBuiltPNG(width: 3, height: 2, bitDepth: 8, colorType: 0, rows: [[0, 128, 255], [1, 2, 3]])
        assertImageError(["cut.png", "cannot decode PNG"]) { _ = try PNGCodec.decode(png.prefix(png.count - 20), origin: "cut.png") }
        assertImageError(["x.png", "bad signature"]) { _ = try PNGCodec.decode(Data("not a png at all".utf8), origin: "x.png") }
        assertImageError(["e.png", "empty"]) { _ = try PNGCodec.decode(Data(), origin: "e.png") }
        var badCRC = png
        badCRC[badCRC.startIndex + 29] ^= 0xFF  // inside IHDR's CRC
        assertImageError(["crc.png", "CRC"]) { _ = try PNGCodec.decode(badCRC, origin: "crc.png") }
        assertImageError(["unknown image format"]) { _ = try ImageFile.decode(Data("GIF89a......".utf8), origin: "g.gif") }
    }
}
