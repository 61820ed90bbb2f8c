import Foundation
import XCTest
@testable import Vision

final class GeometryTests: XCTestCase {
    let image = ImageBuffer<Float>(width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6])!

    func testFlipsAndCropsWithFill() throws {
        XCTAssertEqual(image.flippedHorizontally().pixels, [3, 2, 1, 6, 5, 4])
        XCTAssertEqual(image.flippedVertically().pixels, [4, 5, 6, 1, 2, 3])
        XCTAssertEqual(image.cropped(x: 1, y: 0, width: 2, height: 2).pixels, [2, 3, 5, 6])
        XCTAssertEqual(image.cropped(x: -1, y: 1, width: 3, height: 2, fill: 9).pixels, [9, 4, 5, 9, 9, 9])
        XCTAssertEqual(image.cropped(x: 10, y: 10, width: 1, height: 1, fill: 7).pixels, [7])
        XCTAssertEqual(image.centerCropped(width: 1, height: 2).pixels, [2, 5])
    }

    func testResizeAveragesWhenShrinkingAndKeepsConstants() throws {
        let four = try XCTUnwrap(ImageBuffer<Float>(width: 4, height: 2, pixels: [0, 2, 4, 6, 2, 4, 6, 8]))
        XCTAssertEqual(four.resized(width: 2, height: 1).pixels, [2, 6])
        let flat = ImageBuffer<Float>(width: 5, height: 3, fill: 0.25)
        XCTAssertTrue(flat.resized(width: 11, height: 7).pixels.allSatisfy { abs($0 - 0.25) < 1e-6 })
        // Upscaling a ramp by 2 with centres aligned: PyTorch bilinear(align_corners=False) gives 0, .25, .75, 1.
        let ramp = try XCTUnwrap(ImageBuffer<Float>(width: 2, height: 1, pixels: [0, 1]))
        XCTAssertEqual(ramp.resized(width: 4, height: 1).pixels, [0, 0.25, 0.75, 1])
        let bytes = try XCTUnwrap(ImageBuffer<UInt8>(width: 2, height: 2, pixels: [0, 100, 200, 255]))
        XCTAssertEqual(bytes.resized(width: 1, height: 1).pixels, [139])  // (0+100+200+255)/4 = 138.75
    }

    func testRotationByNinetyDegreesMovesCorners() throws {
        let square = try XCTUnwrap(ImageBuffer<Float>(width: 3, height: 3, pixels: [1, 0, 0, 0, 0, 0, 0, 0, 0]))
        // Counter-clockwise as displayed: the top-left corner goes to the bottom-left.
        let turned = square.rotated(degrees: 90)
        XCTAssertEqual(turned[0, 2, 0], 1, accuracy: 1e-5)
        XCTAssertEqual(turned.pixels.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(square.rotated(degrees: 0), square)
    }

    func testZoomStackStacksScalesAsChannels() throws {
        let ramp = try XCTUnwrap(ImageBuffer<Float>(width: 4, height: 4, pixels: (0..<16).map(Float.init)))
        let stack = ramp.zoomStack([1, 2])
        XCTAssertEqual(stack.channels, 2)
        XCTAssertEqual(stack.channel(0), ramp)
        // Zoom 2 is the middle 2 x 2 (5, 6, 9, 10) blown up to 4 x 4.
        let middle = stack.channel(1)
        XCTAssertEqual(middle[0, 0, 0], 5)
        XCTAssertEqual(middle[3, 3, 0], 10)
    }

    func testContrastAndConversions() throws {
        let half = try XCTUnwrap(ImageBuffer<Float>(width: 2, height: 1, pixels: [0.25, 0.75]))
        XCTAssertEqual(half.contrastAdjusted(2).pixels, [0, 1])
        XCTAssertEqual(half.contrastAdjusted(1), half)
        XCTAssertEqual(half.brightnessAdjusted(0.5).pixels, [0.75, 1])
        let bytes = try XCTUnwrap(ImageBuffer<UInt8>(width: 2, height: 1, pixels: [0, 255]))
        XCTAssertEqual(bytes.normalized().pixels, [0, 1])
        XCTAssertEqual(bytes.converted(to: UInt16.self).pixels, [0, 65535])
        let rgb = try XCTUnwrap(ImageBuffer<UInt8>(width: 1, height: 1, channels: 3, pixels: [255, 255, 255]))
        XCTAssertEqual(rgb.grey().pixels, [255])
        XCTAssertNil(ImageBuffer<UInt8>(width: 2, height: 2, pixels: [1, 2, 3]))
        XCTAssertNil(ImageBuffer<UInt8>(width: Int.max, height: 2, pixels: []))
    }

    func testAugmentationIsSeededAndParsed() throws {
        let all = try ImageAugmentation(list: "flip,rotate,crop,contrast")
        XCTAssertEqual(all.list, "flip,rotate,crop,contrast")
        XCTAssertEqual(try ImageAugmentation(list: "none"), ImageAugmentation())
        assertImageError(["unknown augmentation 'blur'", "flip, rotate, crop, contrast"]) { _ = try ImageAugmentation(list: "flip,blur") }
        let ramp = try XCTUnwrap(ImageBuffer<Float>(width: 8, height: 8, pixels: (0..<64).map { Float($0) / 63 }))
        var g1 = SeededGenerator(seed: 3), g2 = SeededGenerator(seed: 3)
        let a = all.apply(ramp, using: &g1), b = all.apply(ramp, using: &g2)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, ramp)
        XCTAssertTrue(a.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        var g3 = SeededGenerator(seed: 3)
        XCTAssertEqual(ImageAugmentation().apply(ramp, using: &g3), ramp)
        // Flip alone gives either the image or its mirror.
        var flipOnly = ImageAugmentation(); flipOnly.flip = true
        var seen = Set<[Float]>()
        var g4 = SeededGenerator(seed: 1)
        for _ in 0..<20 { seen.insert(flipOnly.apply(ramp, using: &g4).pixels) }
        XCTAssertEqual(seen, [ramp.pixels, ramp.flippedHorizontally().pixels])
    }
}

/// SplitMix64 for repeatable tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
