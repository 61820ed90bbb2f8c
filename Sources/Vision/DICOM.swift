import Foundation

/// A monochrome image read from a DICOM Part 10 file.
///
/// Uncompressed little-endian transfer syntaxes only (implicit VR
/// 1.2.840.10008.1.2 and explicit VR 1.2.840.10008.1.2.1); compressed and
/// big-endian ones are refused with a message naming them. Pixel values are
/// mapped through the rescale slope and intercept (modality units, e.g. HU);
/// `windowed()` applies the VOI window (PS3.3 C.11.2.1.2.1) and MONOCHROME1
/// inversion. Multi-frame files give their first frame.
public struct DICOMImage: Sendable {
    /// Transfer syntax UID (0002,0010).
    public let transferSyntax: String
    /// Rows (0028,0010) and Columns (0028,0011).
    public let rows: Int, columns: Int
    /// Number of Frames (0028,0008); 1 when absent.
    public let frames: Int
    /// Photometric Interpretation (0028,0004): MONOCHROME1 or MONOCHROME2.
    public let photometric: String
    /// Bits Allocated (0028,0100) and Bits Stored (0028,0101).
    public let bitsAllocated: Int, bitsStored: Int
    /// Pixel Representation (0028,0103) is 1: samples are two's complement.
    public let signed: Bool
    /// Rescale Slope (0028,1053) and Intercept (0028,1052); 1 and 0 when absent.
    public let rescaleSlope: Double, rescaleIntercept: Double
    /// The first Window Center (0028,1050) and Width (0028,1051), when present.
    public let windowCenter: Double?, windowWidth: Double?
    /// Study Instance UID (0020,000D), Accession Number (0008,0050), Patient ID (0010,0020), Modality (0008,0060).
    public let studyInstanceUID: String?, accessionNumber: String?, patientID: String?, modality: String?
    /// The first frame in modality units (stored value * slope + intercept), one channel.
    public let values: ImageBuffer<Float>

    /// The names of transfer syntaxes this reader refuses, for the message that says so.
    public static let transferSyntaxNames: [String: String] = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian (retired)",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline (Process 1)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (Process 2 & 4)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless, Non-Hierarchical (Process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless, First-Order Prediction (Process 14, SV1)",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Lossy (Near-Lossless)",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.4.100": "MPEG2 Main Profile",
        "1.2.840.10008.1.2.4.102": "MPEG-4 AVC/H.264 High Profile",
        "1.2.840.10008.1.2.4.201": "High-Throughput JPEG 2000 (Lossless Only)",
        "1.2.840.10008.1.2.4.203": "High-Throughput JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless",
    ]
    static let implicitLittle = "1.2.840.10008.1.2"
    static let explicitLittle = "1.2.840.10008.1.2.1"

    /// The first frame windowed to [0, 1] (the file's window, or the given one, else the value range),
    /// inverted for MONOCHROME1 so that bright is always dense.
    public func windowed(center: Double? = nil, width: Double? = nil) -> ImageBuffer<Float> {
        var c = center ?? windowCenter, w = width ?? windowWidth
        if c == nil || w == nil {
            let lo = Double(values.pixels.min() ?? 0), hi = Double(values.pixels.max() ?? 1)
            c = (lo + hi + 1) / 2
            w = max(hi - lo + 1, 1)
        }
        let center = c ?? 0, width = max(w ?? 1, 1)
        let invert = photometric == "MONOCHROME1"
        let lower = center - 0.5 - (width - 1) / 2, upper = center - 0.5 + (width - 1) / 2
        var out = values
        for i in out.pixels.indices {
            let x = Double(out.pixels[i])
            var y: Double
            if x <= lower { y = 0 } else if x > upper { y = 1 } else { y = width > 1 ? (x - (center - 0.5)) / (width - 1) + 0.5 : 1 }
            y = min(max(y, 0), 1)
            out.pixels[i] = Float(invert ? 1 - y : y)
        }
        return out
    }

    /// Reads the DICOM file at `path`.
    public static func read(path: String) throws -> DICOMImage {
        try read(try ImageFile.bytes(path: path), origin: path)
    }

    /// True when `data` starts like a DICOM Part 10 file ("DICM" at byte 128).
    public static func looksLikeDICOM(_ data: Data) -> Bool {
        data.count >= 132 && data[data.startIndex + 128..<data.startIndex + 132].elementsEqual("DICM".utf8)
    }

    /// Parses DICOM Part 10 bytes; `origin` names the file in errors.
    public static func read(_ data: Data, origin: String) throws -> DICOMImage {
        let bytes = [UInt8](data)
        guard looksLikeDICOM(data) else {
            throw ImageError(file: origin, position: "byte 128", "not a DICOM Part 10 file (no \"DICM\" after the 128-byte preamble)")
        }
        var parser = DICOMParser(bytes: bytes, origin: origin, position: 132, explicit: true)
        // File meta information: group 0002, always explicit VR little endian.
        var syntax: String?
        while parser.position + 4 <= bytes.count, parser.peekGroup() == 0x0002 {
            let element = try parser.next()
            if element.tag == 0x0002_0010 { syntax = DICOMParser.string(element.value) }
        }
        guard let syntax, !syntax.isEmpty else {
            throw ImageError(file: origin, position: "byte 132", "no Transfer Syntax UID (0002,0010) in the file meta information")
        }
        guard syntax == implicitLittle || syntax == explicitLittle else {
            let name = transferSyntaxNames[syntax].map { " (\($0))" } ?? ""
            throw ImageError(file: origin, "transfer syntax \(syntax)\(name) is not supported: only uncompressed little endian "
                             + "(\(implicitLittle) implicit VR, \(explicitLittle) explicit VR) is; decompress it first, "
                             + "e.g. `gdcmconv --raw IN OUT` or `dcmdjpeg IN OUT`")
        }
        parser.explicit = syntax == explicitLittle
        var tags: [UInt32: [UInt8]] = [:]
        var pixelData: [UInt8]?
        while parser.position < bytes.count {
            // Trailing padding shorter than a tag ends the data set.
            if bytes.count - parser.position < 8 { break }
            let element = try parser.next()
            if element.tag == 0x7FE0_0010 { pixelData = element.value; break }
            if element.tag >> 16 == 0x0008 || element.tag >> 16 == 0x0010 || element.tag >> 16 == 0x0020
                || element.tag >> 16 == 0x0028 {
                tags[element.tag] = element.value
            }
        }
        func us(_ tag: UInt32, _ name: String, default value: Int? = nil) throws -> Int {
            if let v = tags[tag], v.count >= 2 { return Int(v[0]) | Int(v[1]) << 8 }
            if let value { return value }
            throw ImageError(file: origin, "missing \(name) (\(DICOMParser.tagName(tag)))")
        }
        func ds(_ tag: UInt32) throws -> Double? {
            guard let v = tags[tag], let s = DICOMParser.string(v) else { return nil }
            let first = s.split(separator: "\\").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let value = Double(first) else { return nil }
            // NaN, infinite or absurd values would make every pixel NaN: refused, not used.
            guard value.isFinite, abs(value) < 1e12 else {
                throw ImageError(file: origin, "\(DICOMParser.tagName(tag)) is \(first), not a usable number")
            }
            return value
        }
        func text(_ tag: UInt32) -> String? {
            tags[tag].flatMap(DICOMParser.string).flatMap { $0.isEmpty ? nil : $0 }
        }
        let rows = try us(0x0028_0010, "Rows"), columns = try us(0x0028_0011, "Columns")
        let samples = try us(0x0028_0002, "Samples per Pixel", default: 1)
        let photometric = text(0x0028_0004) ?? "MONOCHROME2"
        let allocated = try us(0x0028_0100, "Bits Allocated")
        let stored = try us(0x0028_0101, "Bits Stored", default: allocated)
        let signed = try us(0x0028_0103, "Pixel Representation", default: 0) == 1
        let frames = Int(text(0x0028_0008) ?? "1") ?? 1
        guard samples == 1, photometric == "MONOCHROME1" || photometric == "MONOCHROME2" else {
            throw ImageError(file: origin, "photometric interpretation \(photometric) with \(samples) samples per pixel "
                             + "is not supported (monochrome only: MONOCHROME1 or MONOCHROME2)")
        }
        guard rows > 0, columns > 0 else { throw ImageError(file: origin, "image size \(columns) x \(rows) is empty") }
        guard allocated == 8 || allocated == 16 || allocated == 32 else {
            throw ImageError(file: origin, "Bits Allocated \(allocated) is not supported (8, 16 or 32)")
        }
        guard stored >= 1 && stored <= allocated else {
            throw ImageError(file: origin, "Bits Stored \(stored) does not fit Bits Allocated \(allocated)")
        }
        guard let pixelData else { throw ImageError(file: origin, "no Pixel Data (7FE0,0010)") }
        let bytesPerSample = allocated / 8
        let needed = rows * columns * bytesPerSample
        guard pixelData.count >= needed else {
            throw ImageError(file: origin, "truncated Pixel Data: \(columns) x \(rows) at \(allocated) bits needs \(needed) bytes, found \(pixelData.count)")
        }
        let slope = try ds(0x0028_1053) ?? 1, intercept = try ds(0x0028_1052) ?? 0
        let mask: UInt32 = stored == 32 ? .max : (1 << UInt32(stored)) - 1
        let signBit: UInt32 = 1 << UInt32(stored - 1)
        var values = [Float](repeating: 0, count: rows * columns)
        for i in 0..<(rows * columns) {
            let p = i * bytesPerSample
            var raw: UInt32 = 0
            for b in 0..<bytesPerSample { raw |= UInt32(pixelData[p + b]) << (8 * UInt32(b)) }
            raw &= mask
            let v: Double = signed && raw & signBit != 0 ? Double(Int64(raw) - Int64(mask) - 1) : Double(raw)
            values[i] = Float(v * slope + intercept)
        }
        return DICOMImage(
            transferSyntax: syntax, rows: rows, columns: columns, frames: max(frames, 1), photometric: photometric,
            bitsAllocated: allocated, bitsStored: stored, signed: signed,
            rescaleSlope: slope, rescaleIntercept: intercept,
            windowCenter: try ds(0x0028_1050), windowWidth: try ds(0x0028_1051),
            studyInstanceUID: text(0x0020_000D), accessionNumber: text(0x0008_0050),
            patientID: text(0x0010_0020), modality: text(0x0008_0060),
            values: ImageBuffer(unchecked: columns, rows, 1, values))
    }
}

/// Walks DICOM data elements, little endian, explicit or implicit VR.
struct DICOMParser {
    struct Element { let tag: UInt32; let value: [UInt8] }
    let bytes: [UInt8]
    let origin: String
    var position: Int
    var explicit: Bool
    var depth = 0

    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
    static let undefinedLength: UInt32 = 0xFFFF_FFFF

    func fail(_ reason: String, at: Int? = nil) -> ImageError {
        ImageError(file: origin, position: "byte \(at ?? position)", reason)
    }

    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }

    func peekGroup() -> UInt16 { u16(position) }

    /// Reads one element; sequences and undefined-length values are skipped and returned empty.
    mutating func next() throws -> Element {
        let start = position
        guard position + 8 <= bytes.count else { throw fail("truncated: a data element header runs past the end of the file") }
        let tag = UInt32(u16(position)) << 16 | UInt32(u16(position + 2))
        position += 4
        var vr = ""
        var length: UInt32
        let isItemTag = tag >> 16 == 0xFFFE
        if explicit && !isItemTag {
            vr = String(decoding: bytes[position..<(position + 2)], as: UTF8.self)
            guard vr.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
                throw fail("bad value representation \(vr.debugDescription) of \(DICOMParser.tagName(tag)) (is the transfer syntax right?)", at: start)
            }
            if DICOMParser.longVRs.contains(vr) {
                guard position + 8 <= bytes.count else { throw fail("truncated element header of \(DICOMParser.tagName(tag))", at: start) }
                length = u32(position + 4)
                position += 8
            } else {
                length = UInt32(u16(position + 2))
                position += 4
            }
        } else {
            length = u32(position)
            position += 4
        }
        if length == DICOMParser.undefinedLength {
            if tag == 0x7FE0_0010 {
                throw fail("Pixel Data is encapsulated (compressed) although the transfer syntax is uncompressed", at: start)
            }
            // A sequence of undefined length (SQ, UN, or any tag in implicit VR).
            let wasExplicit = explicit
            if vr == "UN" { explicit = false }  // PS3.5 6.2.2: UN of undefined length is implicit VR inside
            try skipItems(until: 0xFFFE_E0DD)
            explicit = wasExplicit
            return Element(tag: tag, value: [])
        }
        let end = position + Int(length)
        guard end <= bytes.count else {
            throw fail("truncated: \(DICOMParser.tagName(tag)) claims \(length) bytes, only \(bytes.count - position) remain", at: start)
        }
        let value = vr == "SQ" ? [] : Array(bytes[position..<end])
        position = end
        return Element(tag: tag, value: value)
    }

    /// Skips elements and items until the delimiter `tag` (sequence or item delimitation), consuming it.
    mutating func skipItems(until delimiter: UInt32) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw fail("sequences nested more than 64 deep (a corrupt file?)") }
        while true {
            guard position + 8 <= bytes.count else {
                throw fail("truncated: a sequence of undefined length has no delimiter before the end of the file")
            }
            let tag = UInt32(u16(position)) << 16 | UInt32(u16(position + 2))
            if tag == delimiter { position += 8; return }
            if tag == 0xFFFE_E000 {
                let length = u32(position + 4)
                position += 8
                if length == DICOMParser.undefinedLength {
                    try skipItems(until: 0xFFFE_E00D)
                } else {
                    guard position + Int(length) <= bytes.count else { throw fail("truncated sequence item") }
                    position += Int(length)
                }
            } else {
                _ = try next()
            }
        }
    }

    /// A value's text without the padding DICOM adds (trailing spaces or NUL).
    static func string(_ value: [UInt8]) -> String? {
        var end = value.count
        while end > 0 && (value[end - 1] == 0 || value[end - 1] == 0x20) { end -= 1 }
        var start = 0
        while start < end && value[start] == 0x20 { start += 1 }
        return String(decoding: value[start..<end], as: UTF8.self)
    }

    /// "(GGGG,EEEE)" for a tag.
    static func tagName(_ tag: UInt32) -> String {
        func hex(_ v: UInt32) -> String {
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - s.count)) + s
        }
        return "(\(hex(tag >> 16)),\(hex(tag & 0xFFFF)))"
    }
}
