import Foundation
import XCTest
@testable import Vision
import TestSupport

final class NumPyTests: XCTestCase {
    /// Totals computed with NumPy 2.4 (`a.astype(int64).sum()`) on the same files.
    func testBreastMNISTSplitsShapesAndSumsMatchNumPy() throws {
        let npz = try NPZFile(path: try TestPaths.shared("images/breastmnist.npz"))
        XCTAssertEqual(MedMNIST.splits(in: npz), ["train", "val", "test"])
        let train = try MedMNIST.load(npz, split: "train")
        XCTAssertEqual(train.count, 546)
        XCTAssertEqual(train.images[0].width, 28)
        XCTAssertEqual(train.images[0].height, 28)
        XCTAssertEqual(train.images[0].channels, 1)
        XCTAssertEqual(train.images.reduce(0) { $0 + $1.pixels.reduce(0) { $0 + Int($1) } }, 35_757_482)
        XCTAssertEqual(train.images[0].pixels.reduce(0) { $0 + Int($1) }, 79_609)
        XCTAssertEqual(train.labels.reduce(0) { $0 + $1[0] }, 399)
        XCTAssertEqual(train.labels.prefix(5).map { $0[0] }, [1, 1, 1, 1, 0])
        XCTAssertFalse(train.isMultiLabel)
        let test = try MedMNIST.load(npz, split: "test")
        XCTAssertEqual(test.count, 156)
        XCTAssertEqual(test.labels.reduce(0) { $0 + $1[0] }, 114)
        XCTAssertEqual(test.images.reduce(0) { $0 + $1.pixels.reduce(0) { $0 + Int($1) } }, 10_478_773)
    }

    func testPneumoniaMNISTColumnLabels() throws {
        let npz = try NPZFile(path: try TestPaths.shared("images/pneumoniamnist.npz"))
        let val = try MedMNIST.load(npz, split: "val")
        XCTAssertEqual(val.count, 524)
        XCTAssertEqual(val.labels[0].count, 1)  // stored as (N, 1)
        XCTAssertEqual(val.labels.reduce(0) { $0 + $1[0] }, 389)
        XCTAssertEqual(val.images[0].pixels.reduce(0) { $0 + Int($1) }, 100_369)
        XCTAssertEqual(try npz.array("test_labels").shape, [624, 1])
    }

    func testNpyRoundTripOfEveryDType() throws {
        for dtype in [NPYArray.DType.uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64, .float32, .float64] {
            let values: [Double] = [0, 1, 2, 3, 100, 7]
            var bytes = Data()
            for v in values {
                switch dtype {
                case .uint8: bytes.append(UInt8(v))
                case .int8: bytes.append(UInt8(bitPattern: Int8(v)))
                case .int16: withUnsafeBytes(of: Int16(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .uint16: withUnsafeBytes(of: UInt16(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .int32: withUnsafeBytes(of: Int32(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .uint32: withUnsafeBytes(of: UInt32(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .int64: withUnsafeBytes(of: Int64(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .uint64: withUnsafeBytes(of: UInt64(v).littleEndian) { bytes.append(contentsOf: $0) }
                case .float32: withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                case .float64: withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                case .bool: break
                }
            }
            let array = try XCTUnwrap(NPYArray(dtype: dtype, shape: [2, 3], data: bytes))
            let back = try NPYArray(npy: array.npyBytes(), origin: "t.npy")
            XCTAssertEqual(back, array, "\(dtype)")
            XCTAssertEqual(try back.intValues(), [0, 1, 2, 3, 100, 7], "\(dtype)")
            XCTAssertEqual(back.floatValues(), [0, 1, 2, 3, 100, 7], "\(dtype)")
            XCTAssertEqual(array.npyBytes().count % 64, (6 * dtype.size) % 64, "header padded to 64 bytes")
        }
    }

    func testBigEndianFortranOrderAndVersion2Header() throws {
        // '>i2', Fortran order, shape (2, 3): column-major 1 4 2 5 3 6 is row-major 1 2 3 / 4 5 6.
        let header = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }"
        var file = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0])
        let length = header.utf8.count + 1
        file.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0])
        file.append(contentsOf: Array(header.utf8) + [0x0A])
        for v in [1, 4, 2, 5, 3, -6] { file.append(contentsOf: [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]) }
        let array = try NPYArray(npy: file, origin: "be.npy")
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertTrue(array.bigEndian)
        XCTAssertEqual(try array.intValues(), [1, 2, 3, 4, 5, -6])
    }

    func testStoredNpzWrittenHereReadsBack() throws {
        let images = try XCTUnwrap(NPYArray(uint8: (0..<(3 * 4 * 5)).map { UInt8($0) }, shape: [3, 4, 5]))
        let labels = try XCTUnwrap(NPYArray(uint8: [0, 2, 1], shape: [3, 1]))
        let bytes = NPZFile.archiveBytes([("test_images", images), ("test_labels", labels)])
        let npz = try NPZFile(data: bytes, origin: "mem.npz")
        XCTAssertEqual(npz.keys, ["test_images", "test_labels"])
        let set = try MedMNIST.load(npz, split: "test")
        XCTAssertEqual(set.count, 3)
        XCTAssertEqual(set.images[1].width, 5)
        XCTAssertEqual(set.images[1].height, 4)
        XCTAssertEqual(set.images[1][0, 0, 0], 20)
        XCTAssertEqual(set.labels, [[0], [2], [1]])
        XCTAssertEqual(MedMNIST.splits(in: npz), ["test"])
    }

    func testBadNpyInputsSayWhy() throws {
        let good = try XCTUnwrap(NPYArray(uint8: [1, 2, 3, 4], shape: [2, 2])).npyBytes()
        assertImageError(["bad.npy", "magic"]) { _ = try NPYArray(npy: Data("NOTNUMPY at all".utf8), origin: "bad.npy") }
        assertImageError(["cut.npy", "truncated", "needs 4 bytes", "has 2"]) {
            _ = try NPYArray(npy: good.prefix(good.count - 2), origin: "cut.npy")
        }
        assertImageError(["short.npy", "truncated header"]) { _ = try NPYArray(npy: good.prefix(40), origin: "short.npy") }
        assertImageError(["short.npy", "too short"]) { _ = try NPYArray(npy: good.prefix(5), origin: "short.npy") }
        var structured = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let header = "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }\n"
        structured.append(contentsOf: [UInt8(header.utf8.count), 0] + Array(header.utf8) + [0, 0, 0, 0])
        assertImageError(["structured"]) { _ = try NPYArray(npy: structured, origin: "s.npy") }
        var objects = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let objectHeader = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n"
        objects.append(contentsOf: [UInt8(objectHeader.utf8.count), 0] + Array(objectHeader.utf8) + [0, 0, 0, 0, 0, 0, 0, 0])
        assertImageError(["unsupported dtype '|O'"]) { _ = try NPYArray(npy: objects, origin: "o.npy") }
        var garbled = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let garbledHeader = "{'descr' '|u1', 'shape': (1,)}\n"
        garbled.append(contentsOf: [UInt8(garbledHeader.utf8.count), 0] + Array(garbledHeader.utf8) + [7])
        assertImageError(["g.npy", "bad header", "expected ':'"]) { _ = try NPYArray(npy: garbled, origin: "g.npy") }
    }

    func testBadNpzInputsSayWhy() throws {
        let path = try TestPaths.shared("images/breastmnist.npz")
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        assertImageError(["cut.npz", "not a readable .npz"]) { _ = try NPZFile(data: whole.prefix(1000), origin: "cut.npz") }
        assertImageError(["x.npz", "not a readable .npz"]) { _ = try NPZFile(data: Data("hello".utf8), origin: "x.npz") }
        let npz = try NPZFile(path: path)
        assertImageError(["no array named nope", "train_images"]) { _ = try npz.array("nope") }
        // Corrupt one byte inside the first (deflated) member: CRC or inflate must catch it.
        var corrupt = whole
        corrupt[corrupt.startIndex + 200] ^= 0xFF
        let damaged = try NPZFile(data: corrupt, origin: "bad.npz")
        assertImageError(["bad.npz[train_images.npy]"]) { _ = try damaged.array("train_images") }
        // Labels that do not match the images.
        let images = try XCTUnwrap(NPYArray(uint8: [UInt8](repeating: 0, count: 8), shape: [2, 2, 2]))
        let labels = try XCTUnwrap(NPYArray(uint8: [0, 1, 1], shape: [3]))
        let mismatched = try NPZFile(data: NPZFile.archiveBytes([("val_images", images), ("val_labels", labels)]), origin: "m.npz")
        assertImageError(["m.npz[val_labels.npy]", "match 2 images"]) { _ = try MedMNIST.load(mismatched, split: "val") }
        assertImageError(["missing.npz", "no such file"]) { _ = try NPZFile(path: "/nonexistent/missing.npz") }
    }

    /// Writes `bytes` to a temporary `.npz` and returns its path (removed by the caller).
    func temporaryNPZ(_ bytes: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("info-\(UUID().uuidString).npz").path
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    func testInfoChecksTheSplitsImportWouldRead() throws {
        // `images info` describes as fine only what `images import` would read.
        let images = try XCTUnwrap(NPYArray(uint8: [UInt8](repeating: 0, count: 8), shape: [2, 2, 2]))
        var far = Data(count: 16)
        far.withUnsafeMutableBytes { $0.storeBytes(of: Int64(1 << 40).littleEndian, toByteOffset: 8, as: Int64.self) }
        let huge = try XCTUnwrap(NPYArray(dtype: .int64, shape: [2, 1], data: far))
        let tooMany = try temporaryNPZ(NPZFile.archiveBytes([("train_images", images), ("train_labels", huge)]))
        defer { try? FileManager.default.removeItem(atPath: tooMany) }
        assertImageError(["[train_labels.npy]", "image 1", "class index 1099511627776 is past the 10000 classes"]) {
            _ = try ImageDescription.of(tooMany)
        }
        let empty = try temporaryNPZ(NPZFile.archiveBytes([]))
        defer { try? FileManager.default.removeItem(atPath: empty) }
        assertImageError(["holds no arrays"]) { _ = try ImageDescription.of(empty) }
        let labels = try XCTUnwrap(NPYArray(uint8: [0, 1], shape: [2, 1]))
        let good = try temporaryNPZ(NPZFile.archiveBytes([("train_images", images), ("train_labels", labels)]))
        defer { try? FileManager.default.removeItem(atPath: good) }
        XCTAssertEqual(try ImageDescription.of(good).arrays, ["train_images": [2, 2, 2], "train_labels": [2, 1]])
    }

    func testDuplicateAndEncryptedMembersAreRefusedAndPathNamesWarned() throws {
        let a = try XCTUnwrap(NPYArray(uint8: [1, 2], shape: [2])), b = try XCTUnwrap(NPYArray(uint8: [3], shape: [1]))
        // NumPy reads the last of two same-named members, a first-match reader the first: ambiguous.
        assertImageError(["d.npz[x.npy]", "two members named x.npy"]) {
            _ = try NPZFile(data: NPZFile.archiveBytes([("x", a), ("x", b)]), origin: "d.npz")
        }
        // The encryption flag set in the local header alone still means the bytes are encrypted.
        var encrypted = NPZFile.archiveBytes([("x", a)])
        encrypted[encrypted.startIndex + 6] |= 1
        let npz = try NPZFile(data: encrypted, origin: "e.npz")
        assertImageError(["e.npz[x.npy]", "encrypted"]) { _ = try npz.array("x") }
        let paths = try temporaryNPZ(NPZFile.archiveBytes([("../../evil", a), ("/etc/x", b)]))
        defer { try? FileManager.default.removeItem(atPath: paths) }
        let description = try ImageDescription.of(paths)
        XCTAssertEqual(description.warnings?.count, 1)
        XCTAssertTrue(description.warnings?.first?.contains("../../evil.npy, /etc/x.npy") == true, "\(description.warnings ?? [])")
    }
}
