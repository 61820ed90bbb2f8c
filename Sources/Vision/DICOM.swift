import Archives
import Foundation

/// An image read from a DICOM Part 10 file: every frame, monochrome or colour.
///
/// Transfer syntaxes: implicit and explicit VR little endian, explicit VR big endian, deflated
/// explicit VR, RLE Lossless, JPEG baseline and extended (8 and 12 bits), JPEG lossless (process
/// 14), JPEG-LS and JPEG 2000 (`DICOMCodecs`); the video ones (MPEG, H.264, HEVC) and HTJ2K are
/// refused by name, as is a file without Pixel Data (RT plan, structured report, waveform). Frames
/// decode on demand (`frame(_:)`, `storedValues(frame:)`); `values` is the first. Stored values
/// equal pydicom's `pixel_array` (tools/reference/dicom_pixels.py, DICOMParityTests); monochrome
/// frames map through the Modality LUT (rescale slope and intercept, or a Modality LUT Sequence)
/// to modality units (e.g. HU); `windowed()` applies the VOI window (PS3.3 C.11.2.1.2.1) and
/// MONOCHROME1 inversion.
public struct DICOMImage: Sendable {
    /// Transfer syntax UID (0002,0010).
    public let transferSyntax: String
    /// Rows (0028,0010) and Columns (0028,0011).
    public let rows: Int, columns: Int
    /// Number of Frames (0028,0008); 1 when absent.
    public let frames: Int
    /// Photometric Interpretation (0028,0004) as the file has it.
    public let photometric: String
    /// Samples per Pixel (0028,0002): 1, or 3 for colour.
    public let samplesPerPixel: Int
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
    /// The first frame: modality units (monochrome, one channel) or RGB samples (colour and palette, three).
    public let values: ImageBuffer<Float>

    let pixels: DICOMPixels
    /// The Modality LUT Sequence's first item: first stored value mapped, and the table.
    let modalityLUT: (first: Int, table: [Int])?
    /// The Red, Green and Blue Palette Color LUTs (PALETTE COLOR): first index mapped, bits, tables.
    let palette: (first: Int, bits: Int, tables: [[Int]])?

    /// The photometric interpretation of decoded frames: YBR (full, 422, RCT, ICT) arrives as RGB.
    public var decodedPhotometric: String { pixels.decodedPhotometric }

    /// The names of transfer syntaxes, for messages.
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
    static let deflated = "1.2.840.10008.1.2.1.99"
    static let explicitBig = "1.2.840.10008.1.2.2"
    static let rle = "1.2.840.10008.1.2.5"

    /// How a transfer syntax's Pixel Data is encoded; nil when it is not supported.
    static func encoding(of syntax: String) -> DICOMPixels.Encoding? {
        switch syntax {
        case implicitLittle, explicitLittle, deflated, explicitBig: return .native
        case rle: return .rle
        case "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70": return .codec(.jpeg)
        case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": return .codec(.jpegLS)
        case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91": return .codec(.jpeg2000)
        default: return nil
        }
    }

    /// Frame `index` (0-based) as stored values: `rows * columns * samplesPerPixel` of them, `(H, W, S)`,
    /// sign-extended from Bits Stored (a JPEG 2000 or JPEG-LS stream's precision) as pydicom does.
    public func storedValues(frame index: Int) throws -> [Int64] {
        let decoded = try pixels.decode(frame: index)
        let bpp = pixels.bytesPerSample
        var bits = bitsStored
        if decoded.precision > 0, samplesPerPixel == 1 {
            if case .codec(.jpeg2000) = pixels.encoding, decoded.isSigned != signed { bits = decoded.precision }
            if case .codec(.jpegLS) = pixels.encoding, signed { bits = decoded.precision }
        }
        bits = min(max(bits, 1), bitsAllocated)
        let mask: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        let signBit: UInt64 = 1 << UInt64(bits - 1)
        let count = decoded.samples.count / bpp
        var out = [Int64](repeating: 0, count: count)
        decoded.samples.withUnsafeBufferPointer { s in
            for i in 0..<count {
                var raw: UInt64 = 0
                for b in 0..<bpp { raw |= UInt64(s[i * bpp + b]) << (8 * UInt64(b)) }
                raw &= mask
                out[i] = signed && raw & signBit != 0 ? Int64(raw) - Int64(mask) - 1 : Int64(raw)
            }
        }
        return out
    }

    /// Frame `index` (0-based) for display: monochrome in modality units (one channel), colour as RGB
    /// samples, palette colour through its palette (three channels).
    public func frame(_ index: Int) throws -> ImageBuffer<Float> {
        let stored = try storedValues(frame: index)
        if let palette {
            var out = [Float](repeating: 0, count: stored.count * 3)
            for (i, v) in stored.enumerated() {
                for c in 0..<3 {
                    let table = palette.tables[c]
                    out[3 * i + c] = Float(table[min(max(Int(v) - palette.first, 0), table.count - 1)])
                }
            }
            return ImageBuffer(unchecked: columns, rows, 3, out)
        }
        if samplesPerPixel != 1 { return ImageBuffer(unchecked: columns, rows, samplesPerPixel, stored.map { Float($0) }) }
        if let lut = modalityLUT {
            return ImageBuffer(unchecked: columns, rows, 1, stored.map { Float(lut.table[min(max(Int($0) - lut.first, 0), lut.table.count - 1)]) })
        }
        return ImageBuffer(unchecked: columns, rows, 1, stored.map { Float(Double($0) * rescaleSlope + rescaleIntercept) })
    }

    /// The first frame scaled to [0, 1]. Monochrome: windowed (the file's window, or the given one,
    /// else the value range) and inverted for MONOCHROME1 so that bright is always dense. Colour:
    /// RGB divided by its largest possible value.
    public func windowed(center: Double? = nil, width: Double? = nil) -> ImageBuffer<Float> {
        if values.channels != 1 {
            let bits = palette?.bits ?? bitsStored
            let scale = Float(1) / Float((1 << UInt64(min(max(bits, 1), 32))) - 1)
            return values.floats(scale: scale)
        }
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

    /// Parses DICOM Part 10 bytes and decodes the first frame; `origin` names the file in errors.
    public static func read(_ data: Data, origin: String) throws -> DICOMImage {
        var bytes = [UInt8](data)
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
        guard let encoding = encoding(of: syntax) else {
            let name = transferSyntaxNames[syntax].map { " (\($0))" } ?? ""
            throw ImageError(file: origin, "transfer syntax \(syntax)\(name) is not supported: Triage decodes uncompressed, deflated, "
                             + "RLE, JPEG, JPEG-LS and JPEG 2000 images; convert it first, e.g. `gdcmconv --raw IN OUT`")
        }
        if syntax == deflated {
            // The data set after the file meta information is one raw DEFLATE stream (PS3.5 A.5).
            let body = Data(bytes[parser.position...])
            let inflated: Data
            do { inflated = try Inflate.decompress(body, format: .raw) } catch {
                throw ImageError(file: origin, position: "byte \(parser.position)", "the deflated data set cannot be inflated: \(error)")
            }
            bytes = Array(bytes[..<parser.position]) + [UInt8](inflated)
            parser = DICOMParser(bytes: bytes, origin: origin, position: parser.position, explicit: true)
        }
        parser.explicit = syntax != implicitLittle
        parser.bigEndian = syntax == explicitBig
        // Some writers encode the data set in implicit VR under an explicit transfer syntax (or the
        // reverse): the first element tells, as pydicom reads it.
        if parser.position + 6 <= bytes.count {
            let vr = bytes[(parser.position + 4)..<(parser.position + 6)]
            let looksExplicit = vr.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
            if looksExplicit != parser.explicit && !parser.bigEndian { parser.explicit = looksExplicit }
        }
        var tags: [UInt32: [UInt8]] = [:]
        var pixelData: DICOMParser.Element?
        while parser.position < bytes.count {
            // Trailing padding shorter than a tag ends the data set.
            if bytes.count - parser.position < 8 { break }
            let element = try parser.next()
            if element.tag == DICOMParser.pixelData { pixelData = element; break }
            if element.tag >> 16 == 0x0008 || element.tag >> 16 == 0x0010 || element.tag >> 16 == 0x0020
                || element.tag >> 16 == 0x0028 {
                tags[element.tag] = element.value
            }
        }
        let big = parser.bigEndian
        func number(_ v: [UInt8], at i: Int) -> Int {
            big ? Int(v[2 * i]) << 8 | Int(v[2 * i + 1]) : Int(v[2 * i]) | Int(v[2 * i + 1]) << 8
        }
        func us(_ tag: UInt32, _ name: String, default value: Int? = nil) throws -> Int {
            if let v = tags[tag], v.count >= 2 { return number(v, at: 0) }
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
        guard let pixelData else {
            let what = text(0x0008_0060).map { " (Modality \($0))" } ?? ""
            throw ImageError(file: origin, "no Pixel Data (7FE0,0010): not an image\(what)")
        }
        let rows = try us(0x0028_0010, "Rows"), columns = try us(0x0028_0011, "Columns")
        let samples = try us(0x0028_0002, "Samples per Pixel", default: 1)
        let photometric = text(0x0028_0004) ?? (samples == 3 ? "RGB" : "MONOCHROME2")
        let allocated = try us(0x0028_0100, "Bits Allocated")
        let stored = try us(0x0028_0101, "Bits Stored", default: allocated)
        let signed = try us(0x0028_0103, "Pixel Representation", default: 0) == 1
        let planar = try samples > 1 && us(0x0028_0006, "Planar Configuration", default: 0) == 1
        var frames = 1
        if let value = text(0x0028_0008) {
            guard let n = Int(value.trimmingCharacters(in: .whitespaces)), n >= 1, n <= 1 << 20 else {
                throw ImageError(file: origin, "Number of Frames (0028,0008) is \(value.debugDescription), not a number of frames")
            }
            frames = n
        }
        let monochrome = photometric == "MONOCHROME1" || photometric == "MONOCHROME2"
        let colour = ["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT"].contains(photometric)
        guard (samples == 1 && (monochrome || photometric == "PALETTE COLOR")) || (samples == 3 && colour) else {
            throw ImageError(file: origin, "photometric interpretation \(photometric) with \(samples) samples per pixel "
                             + "is not supported (MONOCHROME1/2 or PALETTE COLOR with 1 sample; RGB or YBR with 3)")
        }
        guard rows > 0, columns > 0 else { throw ImageError(file: origin, "image size \(columns) x \(rows) is empty") }
        guard allocated == 1 || allocated == 8 || allocated == 16 || allocated == 32 else {
            throw ImageError(file: origin, "Bits Allocated \(allocated) is not supported (1, 8, 16 or 32)")
        }
        guard stored >= 1 && stored <= allocated else {
            throw ImageError(file: origin, "Bits Stored \(stored) does not fit Bits Allocated \(allocated)")
        }
        guard allocated != 1 || (samples == 1 && monochrome) else {
            throw ImageError(file: origin, "1-bit Pixel Data is only read for monochrome images")
        }
        var compressed: [[UInt8]] = []
        var native: [UInt8] = []
        if case .native = encoding {
            guard parser.pixelItems == nil else {
                throw ImageError(file: origin, "Pixel Data is encapsulated (compressed) although transfer syntax \(syntax) is uncompressed")
            }
            native = pixelData.value
        } else {
            guard let items = parser.pixelItems else {
                throw ImageError(file: origin, "Pixel Data is not encapsulated although transfer syntax \(syntax) is compressed")
            }
            var jpegFamily = true
            if case .rle = encoding { jpegFamily = false }
            compressed = try DICOMPixels.frames(items: items, frames: frames, jpegFamily: jpegFamily, origin: origin)
        }
        let pixels = DICOMPixels(origin: origin, encoding: encoding, rows: rows, columns: columns, samples: samples, frames: frames,
                                 bitsAllocated: allocated, photometric: photometric, planar: planar, bigEndian: big,
                                 vr: pixelData.vr, native: native, compressed: compressed)
        if case .native = encoding {
            let (frameBits, overflow) = pixels.nativeFrameBits.multipliedReportingOverflow(by: frames)
            let needed = (frameBits + 7) / 8
            guard !overflow, native.count >= needed else {
                throw ImageError(file: origin, "truncated Pixel Data: \(frames) frame(s) of \(columns) x \(rows) x \(samples) at \(allocated) bits "
                                 + "need \(overflow ? "more than \(Int.max)" : "\(needed)") bytes, found \(native.count)")
            }
        }
        var image = DICOMImage(
            transferSyntax: syntax, rows: rows, columns: columns, frames: frames, photometric: photometric,
            samplesPerPixel: samples, bitsAllocated: allocated, bitsStored: stored, signed: signed,
            rescaleSlope: try ds(0x0028_1053) ?? 1, rescaleIntercept: try ds(0x0028_1052) ?? 0,
            windowCenter: try ds(0x0028_1050), windowWidth: try ds(0x0028_1051),
            studyInstanceUID: text(0x0020_000D), accessionNumber: text(0x0008_0050),
            patientID: text(0x0010_0020), modality: text(0x0008_0060),
            values: ImageBuffer(width: 1, height: 1), pixels: pixels,
            modalityLUT: monochrome ? try modalityLUT(parser.modalityLUTItems, parser: parser) : nil,
            palette: photometric == "PALETTE COLOR" ? try palette(tags, bigEndian: big, origin: origin) : nil)
        image = DICOMImage(copying: image, values: try image.frame(0))
        return image
    }

    init(transferSyntax: String, rows: Int, columns: Int, frames: Int, photometric: String, samplesPerPixel: Int,
         bitsAllocated: Int, bitsStored: Int, signed: Bool, rescaleSlope: Double, rescaleIntercept: Double,
         windowCenter: Double?, windowWidth: Double?, studyInstanceUID: String?, accessionNumber: String?,
         patientID: String?, modality: String?, values: ImageBuffer<Float>, pixels: DICOMPixels,
         modalityLUT: (first: Int, table: [Int])?, palette: (first: Int, bits: Int, tables: [[Int]])?) {
        self.transferSyntax = transferSyntax; self.rows = rows; self.columns = columns; self.frames = frames
        self.photometric = photometric; self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated; self.bitsStored = bitsStored; self.signed = signed
        self.rescaleSlope = rescaleSlope; self.rescaleIntercept = rescaleIntercept
        self.windowCenter = windowCenter; self.windowWidth = windowWidth
        self.studyInstanceUID = studyInstanceUID; self.accessionNumber = accessionNumber
        self.patientID = patientID; self.modality = modality; self.values = values; self.pixels = pixels
        self.modalityLUT = modalityLUT; self.palette = palette
    }

    init(copying o: DICOMImage, values: ImageBuffer<Float>) {
        self.init(transferSyntax: o.transferSyntax, rows: o.rows, columns: o.columns, frames: o.frames, photometric: o.photometric,
                  samplesPerPixel: o.samplesPerPixel, bitsAllocated: o.bitsAllocated, bitsStored: o.bitsStored, signed: o.signed,
                  rescaleSlope: o.rescaleSlope, rescaleIntercept: o.rescaleIntercept, windowCenter: o.windowCenter,
                  windowWidth: o.windowWidth, studyInstanceUID: o.studyInstanceUID, accessionNumber: o.accessionNumber,
                  patientID: o.patientID, modality: o.modality, values: values, pixels: o.pixels,
                  modalityLUT: o.modalityLUT, palette: o.palette)
    }

    /// A LUT Descriptor (entries, first value mapped, bits per entry; PS3.3 C.11.1.1) and its data as numbers.
    static func lut(descriptor d: [UInt8], data: [UInt8], bigEndian: Bool, name: String, origin: String) throws -> (first: Int, bits: Int, table: [Int]) {
        guard d.count >= 6 else { throw ImageError(file: origin, "the \(name) LUT Descriptor has \(d.count) bytes, not 6") }
        func word(_ v: [UInt8], _ i: Int) -> Int { bigEndian ? Int(v[2 * i]) << 8 | Int(v[2 * i + 1]) : Int(v[2 * i]) | Int(v[2 * i + 1]) << 8 }
        let entries = word(d, 0) == 0 ? 65536 : word(d, 0)
        var first = word(d, 1)
        if first >= 0x8000 && first > entries { first -= 0x10000 }  // SS: a negative first value
        let bits = word(d, 2)
        let table: [Int]
        if data.count >= 2 * entries {
            table = (0..<entries).map { word(data, $0) }
        } else if bits <= 8 && data.count >= entries {
            table = (0..<entries).map { Int(data[$0]) }
        } else {
            throw ImageError(file: origin, "the \(name) LUT Data has \(data.count) bytes; its descriptor says \(entries) entries of \(bits) bits")
        }
        return (first, bits, table)
    }

    static func palette(_ tags: [UInt32: [UInt8]], bigEndian: Bool, origin: String) throws -> (first: Int, bits: Int, tables: [[Int]]) {
        var tables: [[Int]] = [], first = 0, bits = 16
        for (i, name) in ["Red", "Green", "Blue"].enumerated() {
            let descriptor = UInt32(0x0028_1101 + i), data = UInt32(0x0028_1201 + i)
            guard let d = tags[descriptor], let v = tags[data] else {
                throw ImageError(file: origin, "PALETTE COLOR without the \(name) Palette Color LUT Descriptor and Data "
                                 + "\(DICOMParser.tagName(descriptor)), \(DICOMParser.tagName(data)) (segmented palettes are not read)")
            }
            let lut = try lut(descriptor: d, data: v, bigEndian: bigEndian, name: "\(name) Palette Color", origin: origin)
            tables.append(lut.table); first = lut.first; bits = lut.bits
        }
        return (first, bits, tables)
    }

    static func modalityLUT(_ items: [[UInt8]]?, parser: DICOMParser) throws -> (first: Int, table: [Int])? {
        guard let item = items?.first else { return nil }
        var sub = DICOMParser(bytes: item, origin: parser.origin, position: 0, explicit: parser.explicit, bigEndian: parser.bigEndian)
        var found: [UInt32: [UInt8]] = [:]
        while sub.position + 8 <= item.count {
            let element = try sub.next()
            found[element.tag] = element.value
        }
        guard let d = found[0x0028_3002], let data = found[0x0028_3006] else { return nil }
        let lut = try lut(descriptor: d, data: data, bigEndian: parser.bigEndian, name: "Modality", origin: parser.origin)
        return (lut.first, lut.table)
    }
}
