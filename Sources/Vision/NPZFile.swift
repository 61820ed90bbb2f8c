import Archives
import Foundation

/// A NumPy `.npz` archive: named `.npy` arrays in a zip file, stored or deflated.
public struct NPZFile: Sendable {
    /// Where the archive came from, for error messages.
    public let origin: String
    let archive: ZipArchive

    /// The array names (member names without `.npy`), in archive order.
    public var keys: [String] {
        archive.entries.map { $0.name.hasSuffix(".npy") ? String($0.name.dropLast(4)) : $0.name }
    }

    /// Opens the `.npz` file at `path`.
    public init(path: String) throws {
        try self.init(data: try ImageFile.bytes(path: path), origin: path)
    }

    /// Reads an `.npz` held in memory; `origin` names it in errors.
    public init(data: Data, origin: String) throws {
        self.origin = origin
        do {
            archive = try ZipArchive(data: data, origin: origin)
        } catch let error as ArchiveError {
            throw ImageError(file: origin, "not a readable .npz (zip) archive: \(error.reason)")
        }
        // NumPy reads the last of two members with one name, this reader the first: which array is
        // meant is ambiguous, so neither is read.
        var seen = Set<String>()
        for entry in archive.entries where !seen.insert(entry.name).inserted {
            throw ImageError(file: "\(origin)[\(entry.name)]", "the archive holds two members named \(entry.name); which array is meant is ambiguous")
        }
    }

    /// Member names that are paths (absolute, or with `..`) rather than array names: nothing is
    /// ever extracted, but such a member is not an array `numpy.savez` wrote.
    public var pathLikeMembers: [String] {
        archive.entries.map(\.name).filter { $0.hasPrefix("/") || $0.split(separator: "/").contains("..") }
    }

    /// True when the archive has an array called `key`.
    public func contains(_ key: String) -> Bool {
        archive.entry(named: key + ".npy") != nil || archive.entry(named: key) != nil
    }

    /// The array called `key` (the member `key.npy`).
    public func array(_ key: String) throws -> NPYArray {
        guard let entry = archive.entry(named: key + ".npy") ?? archive.entry(named: key) else {
            throw ImageError(file: origin, "no array named \(key) (arrays: \(keys.joined(separator: ", ")))")
        }
        let bytes: Data
        do { bytes = try archive.contents(of: entry) } catch let error as ArchiveError {
            throw ImageError(file: "\(origin)[\(entry.name)]", error.reason)
        }
        return try NPYArray(npy: bytes, origin: "\(origin)[\(entry.name)]")
    }

    /// The bytes of an `.npz` holding `arrays` as stored (uncompressed) zip members, like `numpy.savez`.
    public static func archiveBytes(_ arrays: [(name: String, array: NPYArray)]) -> Data {
        var out = Data()
        var central = Data()
        func le16(_ v: Int, _ d: inout Data) { d.append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)]) }
        func le32(_ v: UInt32, _ d: inout Data) {
            d.append(contentsOf: [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)])
        }
        for (name, array) in arrays {
            let body = array.npyBytes()
            let fileName = Array((name + ".npy").utf8)
            let crc = Inflate.crc32(body)
            let offset = UInt32(out.count)
            // Local file header.
            le32(0x0403_4b50, &out); le16(20, &out); le16(0, &out); le16(0, &out)
            le16(0, &out); le16(0x21, &out)                       // time 00:00, date 1980-01-01
            le32(crc, &out); le32(UInt32(body.count), &out); le32(UInt32(body.count), &out)
            le16(fileName.count, &out); le16(0, &out)
            out.append(contentsOf: fileName)
            out.append(body)
            // Central directory entry.
            le32(0x0201_4b50, &central); le16(20, &central); le16(20, &central); le16(0, &central); le16(0, &central)
            le16(0, &central); le16(0x21, &central)
            le32(crc, &central); le32(UInt32(body.count), &central); le32(UInt32(body.count), &central)
            le16(fileName.count, &central); le16(0, &central); le16(0, &central); le16(0, &central); le16(0, &central)
            le32(0, &central); le32(offset, &central)
            central.append(contentsOf: fileName)
        }
        let directoryOffset = UInt32(out.count)
        out.append(central)
        le32(0x0605_4b50, &out); le16(0, &out); le16(0, &out)
        le16(arrays.count, &out); le16(arrays.count, &out)
        le32(UInt32(central.count), &out); le32(directoryOffset, &out); le16(0, &out)
        return out
    }
}

/// Images with their labels, e.g. one split of a MedMNIST file.
public struct LabelledImages: Sendable {
    /// The images, 8-bit.
    public var images: [ImageBuffer<UInt8>]
    /// Per image, K label values: K = 1 holds a class index; K > 1 holds 0/1 per observation (multi-label).
    public var labels: [[Int]]
    /// The split name (train, val or test).
    public var split: String

    /// An empty or given set.
    public init(images: [ImageBuffer<UInt8>] = [], labels: [[Int]] = [], split: String) {
        self.images = images
        self.labels = labels
        self.split = split
    }

    /// The number of images.
    public var count: Int { images.count }

    /// True when each image has several 0/1 labels (ChestMNIST style), false for one class index.
    public var isMultiLabel: Bool { (labels.first?.count ?? 1) > 1 }
}

/// MedMNIST `.npz` files: `{train,val,test}_images` (N, H, W[, C]) uint8 and `{split}_labels` (N[, K]).
public enum MedMNIST {
    /// The most classes a single-label split may have: a class index is a column of the model's
    /// output and an observation of the task, so 2^40 would be a trillion of each.
    public static let maximumClasses = 10_000

    /// The splits a MedMNIST file holds, in order.
    public static let splits = ["train", "val", "test"]

    /// The splits present in `npz` (both images and labels), in MedMNIST order.
    public static func splits(in npz: NPZFile) -> [String] {
        splits.filter { npz.contains("\($0)_images") && npz.contains("\($0)_labels") }
    }

    /// Loads one split's images and labels, checking shapes and types.
    public static func load(_ npz: NPZFile, split: String) throws -> LabelledImages {
        let imagesName = "\(npz.origin)[\(split)_images.npy]"
        let labelsName = "\(npz.origin)[\(split)_labels.npy]"
        let images = try npz.array("\(split)_images")
        let labels = try npz.array("\(split)_labels")
        guard images.shape.count == 3 || images.shape.count == 4 else {
            throw ImageError(file: imagesName, "expected shape (N, H, W) or (N, H, W, C), found \(images.shape)")
        }
        let n = images.shape[0], h = images.shape[1], w = images.shape[2]
        let c = images.shape.count == 4 ? images.shape[3] : 1
        guard h > 0, w > 0, c == 1 || c == 3 else {
            throw ImageError(file: imagesName, "expected positive H, W and 1 or 3 channels, found shape \(images.shape)")
        }
        guard labels.shape.count == 1 || labels.shape.count == 2, labels.shape.first == n else {
            throw ImageError(file: labelsName, "expected shape (\(n),) or (\(n), K) to match \(n) images, found \(labels.shape)")
        }
        let k = labels.shape.count == 2 ? labels.shape[1] : 1
        guard k >= 1 else { throw ImageError(file: labelsName, "labels have zero columns") }
        let pixels = try images.uint8Values(origin: imagesName)
        let values = try labels.intValues(origin: labelsName)
        for (i, v) in values.enumerated() where v < 0 || (k > 1 && v > 1) || v >= maximumClasses {
            throw ImageError(file: labelsName, position: "image \(i / k)",
                             k > 1 ? "multi-label values must be 0 or 1, found \(v)"
                                   : v < 0 ? "class index \(v) is negative"
                                   : "class index \(v) is past the \(maximumClasses) classes a task may have")
        }
        let per = h * w * c
        var out = LabelledImages(split: split)
        out.images.reserveCapacity(n)
        out.labels.reserveCapacity(n)
        for i in 0..<n {
            let slice = Array(pixels[(i * per)..<((i + 1) * per)])
            out.images.append(ImageBuffer(unchecked: w, h, c, slice))
            out.labels.append(Array(values[(i * k)..<((i + 1) * k)]))
        }
        return out
    }
}
