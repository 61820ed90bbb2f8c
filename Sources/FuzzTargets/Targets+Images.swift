import Foundation
import Models
import Vision

// Images: what `images import`, `images info` and `predict image` read.

/// Uses a decoded image the way import and prediction do: grey, model-size floats, value range.
func use(_ image: AnyImage) {
    _ = (image.width, image.height, image.channels, image.bitDepth)
    let floats = image.normalized()
    _ = floats.pixels.min()
    _ = ImagePreprocessing(width: 28, height: 28, channels: 1).base(image)
    _ = ImagePreprocessing(width: 8, height: 12, channels: 3).base(image)
    _ = image.bytes()
}

/// Decodes with the format's own decoder, then through `ImageFile.decode` (magic-byte dispatch) and
/// `ImageDescription.of` (`images info`) on a file of that extension.
func image(_ data: Data, file: String, decode: (Data) throws -> AnyImage) {
    if let image = try? decode(data) { use(image) }
    if let image = try? ImageFile.decode(data, origin: file) { use(image) }
    _ = try? ImageDescription.of(Scratch.file(file, data))
}

let imageTargets: [FuzzTarget] = [
    FuzzTarget(name: "npy", maxLength: 64 << 10,
               summary: "NumPy .npy (NPYArray, ImageFile.image(from:), values)") { data in
        image(data, file: "fuzz.npy") { data in
            let array = try NPYArray(npy: data, origin: "fuzz.npy")
            _ = array.floatValues()
            _ = try? array.intValues()
            _ = try? array.uint8Values()
            return try ImageFile.image(from: array, origin: "fuzz.npy")
        }
    },
    FuzzTarget(name: "npz", maxLength: 128 << 10,
               summary: "NumPy .npz (NPZFile, every array, MedMNIST splits as `images import`)") { data in
        _ = try? ImageDescription.of(Scratch.file("fuzz.npz", data))
        guard let npz = try? NPZFile(data: data, origin: "fuzz.npz") else { return }
        for key in npz.keys { _ = try? npz.array(key) }
        for split in MedMNIST.splits(in: npz) {
            if let set = try? MedMNIST.load(npz, split: split), let first = set.images.first { use(.uint8(first)) }
        }
    },
    FuzzTarget(name: "png", maxLength: 64 << 10,
               summary: "PNG (PNGCodec.decode, libpng)") { data in
        image(data, file: "fuzz.png") { try PNGCodec.decode($0, origin: "fuzz.png") }
    },
    FuzzTarget(name: "netpbm", maxLength: 64 << 10,
               summary: "PGM/PPM/PBM, ASCII and binary (NetPBM.decode)") { data in
        image(data, file: "fuzz.pgm") { try NetPBM.decode($0, origin: "fuzz.pgm") }
    },
    FuzzTarget(name: "dicom", maxLength: 128 << 10,
               summary: "DICOM Part 10 and raw (DICOMImage.read, every transfer syntax and codec, frames, windowing, `images info`)") { data in
        if let dicom = try? DICOMImage.read(data, origin: "fuzz.dcm") {
            for frame in 0..<min(dicom.frames, 8) { _ = try? dicom.frame(frame) }
            _ = dicom.windowed()
            _ = dicom.windowed(center: 40, width: 400)
            _ = dicom.windowed(center: 0, width: 0)
        }
        image(data, file: "fuzz.dcm") { .float(try DICOMImage.read($0, origin: "fuzz.dcm").windowed()) }
    },
]
