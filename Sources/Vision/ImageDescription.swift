import Foundation

/// What the readers see in an image file: format, size, channels, bit depth, value range, and the
/// DICOM attributes that decide how it is displayed and linked (`triage images info`).
public struct ImageDescription: Codable, Sendable, Equatable {
    public var file: String
    /// png, pgm, ppm, dicom, npy, npz, or unknown.
    public var format: String
    public var width: Int?, height: Int?, channels: Int?, bitDepth: Int?
    /// The smallest and largest pixel value (after a DICOM rescale).
    public var min: Float?, max: Float?
    /// For `.npz`: each array's shape.
    public var arrays: [String: [Int]]?
    public var transferSyntax: String?, windowCenter: Double?, windowWidth: Double?
    /// DICOM: Number of Frames (the value range is the first frame's) and Photometric Interpretation.
    public var frames: Int?, photometric: String?
    public var rescaleSlope: Double?, rescaleIntercept: Double?, accessionNumber: String?, studyInstanceUID: String?
    /// What is odd but readable in the file, each naming it (shown as warnings).
    public var warnings: [String]?

    /// A description with only the file and format filled in.
    public init(file: String, format: String) {
        self.file = file
        self.format = format
    }

    /// Reads `file` and describes it; throws `ImageError` naming the file when it cannot be read.
    public static func of(_ file: String) throws -> ImageDescription {
        if file.lowercased().hasSuffix(".npz") {
            let npz = try NPZFile(path: file)
            var d = ImageDescription(file: file, format: "npz")
            var arrays: [String: [Int]] = [:]
            guard !npz.keys.isEmpty else { throw ImageError(file: file, "the archive holds no arrays") }
            for key in npz.keys { arrays[key] = try npz.array(key).shape }
            // The splits `images import` would read are checked as it checks them (label count,
            // range and type; image shape and type), so `info` does not describe as fine what
            // `import` refuses.
            for split in MedMNIST.splits(in: npz) { _ = try MedMNIST.load(npz, split: split) }
            d.arrays = arrays
            let paths = npz.pathLikeMembers
            if !paths.isEmpty {
                d.warnings = ["\(file): members named like paths, not arrays (nothing is extracted): \(paths.joined(separator: ", "))"]
            }
            return d
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ImageError(file: file, "no such file, or it cannot be read")
        }
        let format = ImageFile.format(of: data)
        var d = ImageDescription(file: file, format: format?.rawValue ?? "unknown")
        if format == .dicom {
            let dicom = try DICOMImage.read(data, origin: file)
            d.transferSyntax = dicom.transferSyntax
            d.windowCenter = dicom.windowCenter
            d.windowWidth = dicom.windowWidth
            d.rescaleSlope = dicom.rescaleSlope
            d.rescaleIntercept = dicom.rescaleIntercept
            d.accessionNumber = dicom.accessionNumber
            d.studyInstanceUID = dicom.studyInstanceUID
            (d.frames, d.photometric) = (dicom.frames, dicom.photometric)
            (d.width, d.height, d.channels, d.bitDepth) = (dicom.columns, dicom.rows, dicom.values.channels, dicom.bitsStored)
            (d.min, d.max) = (dicom.values.pixels.min(), dicom.values.pixels.max())
            return d
        }
        let image = try ImageFile.decode(data, origin: file)
        (d.width, d.height, d.channels, d.bitDepth) = (image.width, image.height, image.channels, image.bitDepth)
        let values: [Float]
        switch image {
        case .uint8(let i): values = i.floats().pixels
        case .uint16(let i): values = i.floats().pixels
        case .float(let i): values = i.pixels
        }
        (d.min, d.max) = (values.min(), values.max())
        return d
    }
}
