import Foundation

/// Netpbm grey and colour images: PGM (P2 text, P5 binary) and PPM (P3 text, P6 binary).
///
/// Samples are scaled from the file's maxval to the full range: maxval up to 255
/// gives 8-bit samples, larger maxvals (binary ones are big-endian) 16-bit samples.
public enum NetPBM {
    /// Decodes PGM or PPM bytes; `origin` names the file in errors.
    public static func decode(_ data: Data, origin: String) throws -> AnyImage {
        let bytes = [UInt8](data)
        var reader = Reader(bytes: bytes, origin: origin)
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P") else {
            throw ImageError(file: origin, position: "byte 0", "not a PGM/PPM file (no P2, P3, P5 or P6 magic)")
        }
        let kind = bytes[1]
        let channels: Int, binary: Bool
        switch kind {
        case UInt8(ascii: "2"): (channels, binary) = (1, false)
        case UInt8(ascii: "5"): (channels, binary) = (1, true)
        case UInt8(ascii: "3"): (channels, binary) = (3, false)
        case UInt8(ascii: "6"): (channels, binary) = (3, true)
        case UInt8(ascii: "1"), UInt8(ascii: "4"):
            throw ImageError(file: origin, position: "byte 0", "PBM bitmaps (P1/P4) are not supported; convert to PGM")
        case UInt8(ascii: "7"):
            throw ImageError(file: origin, position: "byte 0", "PAM (P7) is not supported; use PGM or PPM")
        default:
            throw ImageError(file: origin, position: "byte 0", "not a PGM/PPM file (no P2, P3, P5 or P6 magic)")
        }
        reader.i = 2
        let width = try reader.number("width")
        let height = try reader.number("height")
        let maxval = try reader.number("maxval")
        guard width > 0, height > 0 else { throw reader.fail("width and height must be positive, found \(width) x \(height)") }
        guard maxval >= 1 && maxval <= 65535 else { throw reader.fail("maxval must be 1...65535, found \(maxval)") }
        guard let count = ImageBuffer<UInt8>.sampleCount(width: width, height: height, channels: channels),
              count <= 1 << 31 else { throw reader.fail("image of \(width) x \(height) is too large") }
        // The samples must be in the file before memory is taken for them: a binary sample is 1 or 2
        // bytes, a text one at least a digit (the reader below names a shorter raster's line).
        let perSample = binary ? (maxval > 255 ? 2 : 1) : 1
        guard count <= (bytes.count - reader.i + 1) / perSample else {
            throw ImageError(file: origin, position: "byte \(reader.i)",
                             "truncated: \(width) x \(height) x \(channels) samples cannot fit in the \(bytes.count - reader.i) bytes left")
        }
        var samples = [Int](repeating: 0, count: count)
        if binary {
            // Exactly one whitespace byte separates maxval from the raster.
            guard reader.i < bytes.count, Reader.isSpace(bytes[reader.i]) else {
                throw reader.fail("expected one whitespace byte before the pixels")
            }
            reader.i += 1
            let wide = maxval > 255
            let needed = count * (wide ? 2 : 1)
            guard bytes.count - reader.i >= needed else {
                throw ImageError(file: origin, position: "byte \(reader.i)",
                                 "truncated: \(width) x \(height) x \(channels) samples need \(needed) bytes, the file has \(bytes.count - reader.i)")
            }
            var p = reader.i
            for s in 0..<count {
                samples[s] = wide ? Int(bytes[p]) << 8 | Int(bytes[p + 1]) : Int(bytes[p])
                p += wide ? 2 : 1
            }
        } else {
            for s in 0..<count {
                guard let v = try reader.optionalNumber() else {
                    throw reader.fail("truncated: expected \(count) samples, found \(s)")
                }
                samples[s] = v
            }
        }
        if let bad = samples.firstIndex(where: { $0 > maxval }) {
            throw ImageError(file: origin, position: "pixel \(bad / channels)", "sample \(samples[bad]) exceeds maxval \(maxval)")
        }
        if maxval <= 255 {
            let pixels = samples.map { UInt8(($0 * 255 + maxval / 2) / maxval) }
            return .uint8(ImageBuffer(unchecked: width, height, channels, pixels))
        }
        let pixels = samples.map { UInt16(($0 * 65535 + maxval / 2) / maxval) }
        return .uint16(ImageBuffer(unchecked: width, height, channels, pixels))
    }

    /// Encodes a grey (PGM, P5) or RGB (PPM, P6) image, 8-bit (maxval 255) or 16-bit (maxval 65535).
    public static func encode(_ image: AnyImage) -> Data? {
        guard image.channels == 1 || image.channels == 3 else { return nil }
        let magic = image.channels == 1 ? "P5" : "P6"
        var out = Data()
        switch image {
        case .uint16(let i):
            out.append(contentsOf: Array("\(magic)\n\(i.width) \(i.height)\n65535\n".utf8))
            for v in i.pixels { out.append(contentsOf: [UInt8(v >> 8), UInt8(v & 0xFF)]) }
        default:
            let i = image.bytes()
            out.append(contentsOf: Array("\(magic)\n\(i.width) \(i.height)\n255\n".utf8))
            out.append(contentsOf: i.pixels)
        }
        return out
    }

    /// A cursor over the header and text raster that knows its line number.
    struct Reader {
        let bytes: [UInt8]
        let origin: String
        var i = 0

        static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }

        var line: Int { 1 + bytes[0..<min(i, bytes.count)].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }

        func fail(_ reason: String) -> ImageError { ImageError(file: origin, position: "line \(line)", reason) }

        mutating func skipSpaceAndComments() {
            while i < bytes.count {
                if Reader.isSpace(bytes[i]) { i += 1 }
                else if bytes[i] == UInt8(ascii: "#") {
                    while i < bytes.count && bytes[i] != 0x0A { i += 1 }
                } else { break }
            }
        }

        mutating func optionalNumber() throws -> Int? {
            skipSpaceAndComments()
            guard i < bytes.count else { return nil }
            var v = 0, digits = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                v = v * 10 + Int(bytes[i] - 0x30)
                digits += 1
                i += 1
                if digits > 9 { throw fail("number too long") }
            }
            guard digits > 0 else {
                throw fail("expected a number, found \(String(decoding: [bytes[i]], as: UTF8.self).debugDescription)")
            }
            return v
        }

        mutating func number(_ what: String) throws -> Int {
            guard let v = try optionalNumber() else { throw fail("truncated header: no \(what)") }
            return v
        }
    }
}
