import CPNG
import Foundation

/// PNG through Debian's libpng: 8- and 16-bit grey and RGB.
///
/// The only Swift file that imports `CPNG`. Palettes are expanded to RGB,
/// 1/2/4-bit grey to 8-bit, and alpha is dropped (grey+alpha reads as grey).
/// No gamma or colour-space conversion is applied: samples are as stored.
public enum PNGCodec {
    /// The largest image (in pixels) the decoder accepts, against bombs.
    public static let maxPixels = 1 << 28

    /// Decodes PNG bytes; `origin` names the file in errors.
    public static func decode(_ data: Data, origin: String) throws -> AnyImage {
        var image = triage_png_image()
        let ok = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return 0 }
            return triage_png_decode(base, raw.count, maxPixels, &image)
        }
        defer { triage_png_free(&image) }
        guard ok == 1, let pixels = image.pixels else {
            let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageError(file: origin, "cannot decode PNG: \(data.isEmpty ? "the file is empty" : message)")
        }
        let width = Int(image.width), height = Int(image.height), channels = Int(image.channels)
        let count = width * height * channels
        if image.bitDepth == 16 {
            let samples = pixels.withMemoryRebound(to: UInt16.self, capacity: count) {
                Array(UnsafeBufferPointer(start: $0, count: count))
            }
            return .uint16(ImageBuffer(unchecked: width, height, channels, samples))
        }
        return .uint8(ImageBuffer(unchecked: width, height, channels, Array(UnsafeBufferPointer(start: pixels, count: count))))
    }

    /// Encodes an 8-bit or 16-bit grey or RGB image as PNG (Float images are written as 8-bit from [0, 1]).
    public static func encode(_ image: AnyImage) throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageError(file: "png", "only grey (1) or RGB (3) channel images can be written, not \(image.channels)")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let ok: Int32
        switch image {
        case .uint16(let i):
            ok = i.pixels.withUnsafeBytes { raw in
                triage_png_encode(raw.bindMemory(to: UInt8.self).baseAddress, UInt32(i.width), UInt32(i.height),
                                  Int32(i.channels), 16, &out, &size, &message, message.count)
            }
        default:
            let i = image.bytes()
            ok = i.pixels.withUnsafeBufferPointer { raw in
                triage_png_encode(raw.baseAddress, UInt32(i.width), UInt32(i.height),
                                  Int32(i.channels), 8, &out, &size, &message, message.count)
            }
        }
        defer { free(out) }
        guard ok == 1, let out else {
            throw ImageError(file: "png", "cannot encode PNG: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        return Data(bytes: out, count: size)
    }
}
