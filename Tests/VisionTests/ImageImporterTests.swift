@testable import Corpus
import Foundation
import GRDB
import XCTest
@testable import Vision
import TestSupport

final class ImageImporterTests: XCTestCase {
    func count(_ corpus: Corpus, _ sql: String, _ arguments: StatementArguments = []) throws -> Int {
        try corpus.pool!.read { try Int.fetchOne($0, sql: sql, arguments: arguments) ?? -1 }
    }

    func testRealBreastMNISTImportIsIdempotent() throws {
        let npz = try TestPaths.shared("images/breastmnist.npz")
        let folder = try TemporaryFolder("triage-vision").url
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        let first = try ImageImporter(corpus: corpus, options: ImageImportOptions()).run([npz])
        XCTAssertEqual(first.images, 780)
        XCTAssertEqual(first.inserted, 780)
        XCTAssertEqual(first.splits, ["train": 546, "val": 78, "test": 156])
        XCTAssertEqual(first.labels, 1560)
        let second = try ImageImporter(corpus: corpus, options: ImageImportOptions()).run([npz])
        XCTAssertEqual(second.inserted, 0)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM image"), 780)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM imageLabel WHERE task = 'breastmnist'"), 1560)
        // 114 of the 156 test images are class 1 (NumPy: test_labels.sum()).
        XCTAssertEqual(try count(corpus, """
            SELECT COUNT(*) FROM imageLabel l JOIN image i ON i.id = l.imageId
            WHERE i.split = 'test' AND l.observation = '1' AND l.value = 1
            """), 114)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM imageLabel WHERE observation = '0' AND value = 1"), 780 - 399 - 57 - 114)
        let first784 = try corpus.pool!.read { try Data.fetchOne($0, sql: "SELECT pixels FROM image WHERE location LIKE '%#train/0'") }
        XCTAssertEqual(first784?.reduce(0) { $0 + Int($1) }, 79_609)
    }

    func testNpzTaskOptionAndMultiClass() throws {
        let folder = try TemporaryFolder("triage-vision").url
        let images = try XCTUnwrap(NPYArray(uint8: [UInt8](repeating: 9, count: 3 * 2 * 2), shape: [3, 2, 2]))
        let labels = try XCTUnwrap(NPYArray(uint8: [0, 2, 1], shape: [3, 1]))
        let path = folder.appendingPathComponent("three.npz").path
        try NPZFile.archiveBytes([("train_images", images), ("train_labels", labels)]).write(to: URL(fileURLWithPath: path))
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        var options = ImageImportOptions()
        options.task = "shapes"
        let summary = try ImageImporter(corpus: corpus, options: options).run([path])
        XCTAssertEqual(summary.labels, 9)  // 3 images x classes 0, 1, 2
        XCTAssertEqual(try count(corpus, """
            SELECT COUNT(*) FROM imageLabel l JOIN image i ON i.id = l.imageId
            WHERE l.task = 'shapes' AND l.value = 1 AND i.location LIKE '%#train/1' AND l.observation = '2'
            """), 1)
    }

    /// Reports mined positive, negative, uncertain, silent and not mined; one image each (by stem),
    /// one by --map, one DICOM by accession number, and one broken file.
    func testFilesLinkToReportsAndTakeMinedLabelsWithTheUncertainPolicy() throws {
        let folder = try TemporaryFolder("triage-vision").url
        let train = folder.appendingPathComponent("train")
        try FileManager.default.createDirectory(at: train, withIntermediateDirectories: true)
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        let mined: [(String, Int?)] = [("R1", 1), ("R2", 0), ("R3", -1), ("R4", nil), ("R6", 1), ("R7", -1)]
        try corpus.pool!.write { db in
            for (id, value) in mined {
                var doc = Document(source: "test", externalId: id, kind: .report, text: "report \(id)")
                try doc.insert(db)
                // R4 is mined but says nothing of Effusion; every mined report has some label.
                let documentId = try XCTUnwrap(doc.id)
                var none = Label(documentId: documentId, scheme: "chexpert", observation: "No Finding", value: .negative, source: .rules)
                try none.insert(db)
                if let value {
                    var effusion = Label(documentId: documentId, scheme: "chexpert", observation: "Effusion",
                                         value: try XCTUnwrap(LabelValue(rawValue: value)), source: .rules)
                    try effusion.insert(db)
                }
            }
            var unmined = Document(source: "test", externalId: "R5", kind: .report, text: "not mined")
            try unmined.insert(db)
        }
        let pgm = Data(Array("P5 2 2 255\n".utf8) + [0, 1, 2, 3])
        for name in ["R1", "R2", "R3", "R4", "R5", "scan-six"] {
            try pgm.write(to: train.appendingPathComponent("\(name).pgm"))
        }
        var dicom = DICOMBuilder(explicit: true)
        dicom.add(0x0008, 0x0050, "SH", string: "R7")
        dicom.add(0x0028, 0x0010, us: 1)
        dicom.add(0x0028, 0x0011, us: 2)
        dicom.add(0x0028, 0x0100, us: 8)
        dicom.add(0x7FE0, 0x0010, "OB", [10, 20])
        try dicom.data.write(to: folder.appendingPathComponent("img7.dcm"))
        try Data("P5 2 2 255\n".utf8).write(to: train.appendingPathComponent("broken.pgm"))

        func run(_ policy: UncertainPolicy) throws -> ImageImportSummary {
            var options = ImageImportOptions()
            options.scheme = "chexpert"
            options.observations = ["Effusion"]
            options.uncertain = policy
            options.studyMap = ["scan-six.pgm": "R6"]
            options.storePixels = true
            return try ImageImporter(corpus: corpus, options: options).run([folder.path])
        }
        func label(_ stem: String) throws -> Int? {
            try corpus.pool!.read {
                try Int.fetchOne($0, sql: """
                    SELECT l.value FROM imageLabel l JOIN image i ON i.id = l.imageId
                    WHERE i.location LIKE ? AND l.task = 'chexpert' AND l.observation = 'Effusion'
                    """, arguments: ["%/\(stem)"])
            }
        }
        let ones = try run(.ones)
        XCTAssertEqual(ones.files, 7)
        XCTAssertEqual(ones.bad, 1)
        XCTAssertTrue(ones.errors[0].contains("broken.pgm"), ones.errors[0])
        XCTAssertEqual(ones.images, 7)
        XCTAssertEqual(ones.linked, 7)
        XCTAssertEqual(ones.unmined, 1)
        XCTAssertEqual(ones.splits, ["train": 6, "none": 1])
        XCTAssertEqual(try label("R1.pgm"), 1)
        XCTAssertEqual(try label("R2.pgm"), 0)
        XCTAssertEqual(try label("R3.pgm"), 1)
        XCTAssertEqual(try label("R4.pgm"), 0)      // mined, not mentioned: negative
        XCTAssertNil(try label("R5.pgm"))            // never mined: no label
        XCTAssertEqual(try label("scan-six.pgm"), 1) // linked through --map
        XCTAssertEqual(try label("img7.dcm"), 1)     // linked through the DICOM accession number
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM image WHERE pixels IS NOT NULL"), 7)

        XCTAssertEqual(try run(.zeros).inserted, 0)
        XCTAssertEqual(try label("R3.pgm"), 0)
        let ignore = try run(.ignore)
        XCTAssertEqual(ignore.ignoredUncertain, 2)
        XCTAssertNil(try label("R3.pgm"))
        XCTAssertNil(try label("img7.dcm"))
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM image"), 7)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM imageLabel"), 4)  // R1, R2, R4, scan-six
    }

    func testBadArgumentsAndMissingPaths() throws {
        let folder = try TemporaryFolder("triage-vision").url
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        var options = ImageImportOptions()
        options.scheme = "chexpert"
        assertImageError(["at least one observation"]) { _ = try ImageImporter(corpus: corpus, options: options).run([folder.path]) }
        assertImageError(["/no/such/place", "no such file or folder"]) {
            _ = try ImageImporter(corpus: corpus, options: ImageImportOptions()).run(["/no/such/place"])
        }
        // A truncated .npz is skipped and counted; nothing of it is written.
        let npz = try TestPaths.shared("images/breastmnist.npz")
        let cut = folder.appendingPathComponent("cut.npz")
        try Data(contentsOf: URL(fileURLWithPath: npz)).prefix(300_000).write(to: cut)
        let summary = try ImageImporter(corpus: corpus, options: ImageImportOptions()).run([cut.path])
        XCTAssertEqual(summary.bad, 1)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM image"), 0)
    }

    func testALinkInsideAFolderIsNamedAndNotFollowed() throws {
        let folder = try TemporaryFolder("triage-vision").url
        let images = folder.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        let png = try PNGCodec.encode(.uint8(try XCTUnwrap(ImageBuffer(width: 2, height: 2, pixels: [0, 50, 100, 200]))))
        try png.write(to: images.appendingPathComponent("a.png"))
        try png.write(to: folder.appendingPathComponent("outside.png"))
        try FileManager.default.createSymbolicLink(atPath: images.appendingPathComponent("b.png").path,
                                                   withDestinationPath: folder.appendingPathComponent("outside.png").path)
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        let summary = try ImageImporter(corpus: corpus, options: ImageImportOptions()).run([images.path])
        XCTAssertEqual(summary.images, 1)
        XCTAssertEqual(summary.bad, 1)
        XCTAssertTrue(summary.errors.contains { $0.contains("b.png") && $0.contains("symbolic link") }, "\(summary.errors)")
    }
}

/// The `--map` file: image,study rows read through the one CSV reader.
final class StudyMapTests: XCTestCase {
    func testHeaderQuotesSpacesAndTheBOMAreHandledAndBadRowsNamed() throws {
        let folder = try TemporaryFolder("triage-vision").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let map = folder.appendingPathComponent("map.csv")
        try Data([0xEF, 0xBB, 0xBF] + Array("image,study\r\n scan-1.png , R1\n\"scan, 2.png\",\"R2\"\n\n".utf8)).write(to: map)
        XCTAssertEqual(try StudyMap.read(path: map.path), ["scan-1.png": "R1", "scan, 2.png": "R2"])
        try Data("a.png,R1\nb.png\n".utf8).write(to: map)
        assertImageError(["map.csv", "line 2", "expected image,study"]) { _ = try StudyMap.read(path: map.path) }
        assertImageError(["nope.csv", "no such file"]) { _ = try StudyMap.read(path: folder.path + "/nope.csv") }
    }
}
