import Foundation
import TestSupport
import XCTest
@testable import Vision

/// Every DICOM file of ../shared/data/images/dicom against pydicom 3.0.2 (DICOMGoldens, written by
/// tools/reference/dicom_pixels.py): where pydicom decodes, every frame's stored values are identical
/// (a sum, two position-weighted checksums and three samples); where it refuses, Triage refuses with
/// an error naming the file, or decodes only where `decodedWherePydicomRefuses` says why and DCMTK's
/// decoding agrees. Lossy JPEG: Triage's IJG-family decoders (libjpeg-turbo, GDCM's 12-bit build)
/// must equal GDCM's decoding through pydicom, or DCMTK's (`dcmdjpeg`), sample for sample;
/// pydicom's own pick, pylibjpeg (Thomas Richter's libjpeg), differs by up to 3 (README, DICOM).
final class DICOMParityTests: XCTestCase {
    /// Files pydicom 3.0.2 cannot decode and Triage does, with why that is right.
    static let decodedWherePydicomRefuses: [String: String] = [
        "JPEG-lossy.dcm": "its scan header has Se 0 (must be 63 for sequential JPEG); IJG decoders (DCMTK, Triage) warn and decode, pylibjpeg and GDCM refuse",
    ]

    /// The second opinion (gdcm: or dcmtk:) of a golden line that equals Triage's digest, if any.
    func secondOpinion(_ fields: [String], shape: String, digest: Digest) -> String? {
        for field in fields.dropFirst(3) {
            for who in ["gdcm", "dcmtk"] where field == "\(who):\(shape):\(digest)" { return who == "gdcm" ? "GDCM" : "DCMTK" }
        }
        return nil
    }

    struct Digest: Equatable, CustomStringConvertible {
        var sum: Int64 = 0, c1: UInt64 = 0, c2: UInt64 = 0
        var description: String { "\(sum):\(c1):\(c2)" }
    }

    /// The digest of tools/reference/dicom_pixels.py over all frames, (F, H, W, S) order.
    func digest(_ image: DICOMImage) throws -> (Digest, [Int64]) {
        var d = Digest(), all: [Int64] = []
        var i: UInt64 = 0
        for f in 0..<image.frames {
            let values = try image.storedValues(frame: f)
            for v in values {
                let u = UInt64(bitPattern: v)
                d.sum &+= v
                d.c1 &+= u &* (i &* 0x9E37_79B9_7F4A_7C15 &+ 1)
                d.c2 &+= u &* u &* (i &+ 1)
                i &+= 1
            }
            all += values
        }
        // TRIAGE_DICOM_DUMP=DIR writes the values (int64, little endian) for a comparison by hand.
        if let dump = ProcessInfo.processInfo.environment["TRIAGE_DICOM_DUMP"] {
            let data = all.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: dump).appendingPathComponent((image.pixels.origin as NSString).lastPathComponent + ".i64"))
        }
        return (d, [all.first ?? 0, all[all.count / 2], all.last ?? 0])
    }

    func testEveryFileMatchesPydicom() throws {
        let folder = try TestPaths.shared("images/dicom")
        var identical = 0, identicalToGDCM = 0, refused = 0, decodedOnly = 0
        var table: [String] = []
        for line in DICOMGoldens.lines {
            let f = line.components(separatedBy: "\t")
            let name = f[0], path = (folder as NSString).appendingPathComponent(name)
            let result: Result<DICOMImage, Error> = Result { try DICOMImage.read(path: path) }
            if f[1] == "decoded" {
                guard case .success(let image) = result else {
                    if case .failure(let e) = result { XCTFail("\(name): pydicom decodes it, Triage refuses: \(e)") }
                    continue
                }
                XCTAssertEqual("\(image.frames)x\(image.rows)x\(image.columns)x\(image.samplesPerPixel)", f[2], name)
                XCTAssertEqual(image.decodedPhotometric, f[3], name)
                let (d, samples) = try digest(image)
                let expected = "\(f[4]):\(f[5]):\(f[6])"
                if d.description == expected && samples.map(String.init).joined(separator: ",") == f[7] {
                    identical += 1
                    table.append("\(name)\tidentical\t\(f[8])")
                } else if let who = secondOpinion(f, shape: f[2], digest: d) {
                    identicalToGDCM += 1
                    table.append("\(name)\tidentical to \(who)\tpylibjpeg differs")
                } else {
                    XCTFail("\(name): Triage's pixels \(d) \(samples) differ from pydicom's \(expected) \(f[7])")
                }
            } else {
                switch result {
                case .success(let image):
                    let shape = "\(image.frames)x\(image.rows)x\(image.columns)x\(image.samplesPerPixel)"
                    if let why = DICOMParityTests.decodedWherePydicomRefuses[name], let who = secondOpinion(f, shape: shape, digest: try digest(image).0) {
                        decodedOnly += 1
                        table.append("\(name)\tdecoded, identical to \(who)\t\(why)")
                    } else {
                        XCTFail("\(name): pydicom refuses it (\(f[2])), Triage decodes it")
                    }
                case .failure(let error):
                    refused += 1
                    XCTAssertTrue(error is ImageError && "\(error)".contains(name), "\(name): \(error) should be an ImageError naming the file")
                    table.append("\(name)\trefused\t\("\(error)".replacingOccurrences(of: path + ": ", with: ""))")
                }
            }
        }
        XCTAssertEqual(DICOMGoldens.lines.count, 78)
        if ProcessInfo.processInfo.environment["TRIAGE_DICOM_TABLE"] != nil { print(table.joined(separator: "\n")) }
        print("DICOM parity: \(identical) identical to pydicom, \(identicalToGDCM) lossy JPEG identical to GDCM's or DCMTK's decoding, "
              + "\(decodedOnly) decoded where pydicom refuses, \(refused) refused by both, of \(DICOMGoldens.lines.count)")
    }
}
