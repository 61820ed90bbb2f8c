import Foundation
import Inputs

/// Reads a single image file of any supported format, chosen by its content (magic bytes).
public enum ImageFile {
    /// The formats `read` understands.
    public enum Format: String, Sendable, CaseIterable {
        case png, netpbm, dicom, npy
    }

    /// File name extensions an image folder walk picks up.
    public static let extensions: Set<String> = ["png", "pgm", "ppm", "pnm", "dcm", "dicom", "npy"]

    /// The format of `data` from its first bytes, or nil.
    public static func format(of data: Data) -> Format? {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return .png }
        if head.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }
        if head.count >= 2, head[0] == UInt8(ascii: "P"), (UInt8(ascii: "1")...UInt8(ascii: "7")).contains(head[1]) { return .netpbm }
        if DICOMImage.looksLikeDICOM(data) { return .dicom }
        return nil
    }

    /// Reads the image at `path`: PNG, PGM/PPM, DICOM (windowed to [0, 1]) or a 2D/3D `.npy` array.
    public static func read(path: String) throws -> AnyImage {
        try decode(try bytes(path: path), origin: path)
    }

    /// The bytes of the file at `path` as stored, read through `Inputs`; a reading error is an
    /// `ImageError` naming `shown` (default: the path).
    public static func bytes(path: String, shown: String? = nil) throws -> Data {
        do { return try InputFile.readRaw(path) } catch let error as InputError {
            throw ImageError(file: shown ?? path, error.reason)
        }
    }

    /// Decodes image bytes of any supported format; `origin` names them in errors.
    public static func decode(_ data: Data, origin: String) throws -> AnyImage {
        guard !data.isEmpty else { throw ImageError(file: origin, "the file is empty") }
        switch format(of: data) {
        case .png: return try PNGCodec.decode(data, origin: origin)
        case .netpbm: return try NetPBM.decode(data, origin: origin)
        case .dicom: return .float(try DICOMImage.read(data, origin: origin).windowed())
        case .npy: return try image(from: try NPYArray(npy: data, origin: origin), origin: origin)
        case nil:
            throw ImageError(file: origin, position: "byte 0",
                             "unknown image format (supported: PNG, PGM/PPM, DICOM Part 10, .npy; for .npz use `triage images import`)")
        }
    }

    /// One image from an (H, W) or (H, W, C) array: uint8 and uint16 keep their type, others become Float.
    public static func image(from array: NPYArray, origin: String) throws -> AnyImage {
        guard array.shape.count == 2 || array.shape.count == 3 else {
            throw ImageError(file: origin, "an image array must be (H, W) or (H, W, C), found shape \(array.shape)")
        }
        let h = array.shape[0], w = array.shape[1], c = array.shape.count == 3 ? array.shape[2] : 1
        guard h > 0, w > 0, c > 0 else { throw ImageError(file: origin, "empty image shape \(array.shape)") }
        switch array.dtype {
        case .uint8, .bool:
            return .uint8(ImageBuffer(unchecked: w, h, c, try array.uint8Values(origin: origin)))
        case .uint16:
            return .uint16(ImageBuffer(unchecked: w, h, c, (0..<array.count).map { UInt16(array.double(at: $0)) }))
        default:
            let values = array.floatValues()
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw ImageError(file: origin, position: "element \(bad)", "value \(values[bad]) is not a finite number")
            }
            return .float(ImageBuffer(unchecked: w, h, c, values))
        }
    }
}
