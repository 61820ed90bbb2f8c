/// The Pixel Data of a DICOM file and how its frames decode (PS3.5 8, A.4, Annex G).
///
/// Frames decode on demand into interleaved `(H, W, S)` samples, little endian, `bytesPerSample`
/// bytes each (1-bit data unpacked to bytes); planar data is interleaved, YBR_FULL and
/// YBR_FULL_422 native data converted to RGB as pydicom does (its `as_rgb` default), and the JPEG
/// family's YCbCr converted by its decoder. Every size is checked against the bytes present, or
/// for compressed frames against a ratio of them, before anything is allocated.
struct DICOMPixels: Sendable {
    enum Encoding: Sendable { case native, rle, codec(DICOMCodecs.Kind) }

    let origin: String
    let encoding: Encoding
    let rows: Int, columns: Int, samples: Int, frames: Int
    let bitsAllocated: Int
    /// The file's photometric interpretation.
    let photometric: String
    let planar: Bool
    let bigEndian: Bool
    /// The Pixel Data's value representation ("OB" or "OW"; "" when implicit).
    let vr: String
    /// Native Pixel Data as stored.
    let native: [UInt8]
    /// Compressed frames: one codestream (its fragments concatenated) per frame.
    let compressed: [[UInt8]]

    /// Past this many decoded bytes, a compressed frame may not be more than `maximumRatio` times its codestream.
    static let floorBytes = 64 << 20
    static let maximumRatio = 1_000

    /// Bytes of one decoded sample: 1 for 1- and 8-bit data, 2 for 16, 4 for 32.
    var bytesPerSample: Int { max(bitsAllocated / 8, 1) }
    var samplesPerFrame: Int { rows * columns * samples }
    /// The decoded frames' photometric interpretation (YBR converted to RGB).
    var decodedPhotometric: String { photometric.hasPrefix("YBR") && samples == 3 ? "RGB" : photometric }

    func fail(_ reason: String) -> ImageError { ImageError(file: origin, reason) }

    /// The bytes of one native frame as stored (1-bit data: bits; YBR_FULL_422: two thirds of the samples).
    var nativeFrameBits: Int {
        let bits = samplesPerFrame * bitsAllocated
        return photometric == "YBR_FULL_422" && bitsAllocated == 8 ? bits / 3 * 2 : bits
    }

    /// Splits encapsulated Pixel Data items (Basic Offset Table first) into one codestream per frame.
    static func frames(items: [[UInt8]], frames: Int, jpegFamily: Bool, origin: String) throws -> [[UInt8]] {
        func fail(_ reason: String) -> ImageError { ImageError(file: origin, reason) }
        guard let table = items.first else { throw fail("encapsulated Pixel Data has no items (not even a Basic Offset Table)") }
        let fragments = Array(items.dropFirst())
        guard !fragments.isEmpty else { throw fail("encapsulated Pixel Data has no fragments") }
        if frames == 1 { return [fragments.flatMap { $0 }] }
        if fragments.count == frames { return fragments }
        guard fragments.count > frames else {
            throw fail("Number of Frames is \(frames) but the encapsulated Pixel Data has only \(fragments.count) fragments")
        }
        if table.count >= 4 * frames, table.count % 4 == 0 {
            // Offsets of each frame's first item from the first fragment's item tag (PS3.5 A.4).
            var starts: [Int: Int] = [:], offset = 0
            for (i, f) in fragments.enumerated() { starts[offset] = i; offset += 8 + f.count }
            var firsts: [Int] = []
            for k in 0..<frames {
                let o = Int(table[4 * k]) | Int(table[4 * k + 1]) << 8 | Int(table[4 * k + 2]) << 16 | Int(table[4 * k + 3]) << 24
                guard let index = starts[o], firsts.last.map({ index > $0 }) ?? (index == 0) else {
                    throw fail("the Basic Offset Table's offset \(o) of frame \(k + 1) does not start a fragment in order")
                }
                firsts.append(index)
            }
            return (0..<frames).map { k in
                fragments[firsts[k]..<(k + 1 < frames ? firsts[k + 1] : fragments.count)].flatMap { $0 }
            }
        }
        guard jpegFamily else {
            throw fail("\(fragments.count) fragments for \(frames) frames and no Basic Offset Table to tell them apart")
        }
        // No offset table: a JPEG-family frame ends with the fragment that ends with an EOI/EOC marker.
        var out: [[UInt8]] = [], current: [UInt8] = []
        for f in fragments {
            current += f
            var end = f.count
            while end > 0 && f[end - 1] == 0 { end -= 1 }
            if end >= 2 && f[end - 2] == 0xFF && f[end - 1] == 0xD9 { out.append(current); current = [] }
        }
        if !current.isEmpty { out.append(current) }
        guard out.count == frames else {
            throw fail("\(fragments.count) fragments hold \(out.count) JPEG codestreams, not the \(frames) frames of Number of Frames")
        }
        return out
    }

    /// Frame `index` (0-based) decoded: `samplesPerFrame` samples of `bytesPerSample` bytes, little
    /// endian; `precision` is the codestream's (0 for native and RLE), `isSigned` a JPEG 2000 stream's sign.
    func decode(frame index: Int) throws -> (samples: [UInt8], precision: Int, isSigned: Bool) {
        guard index >= 0 && index < frames else { throw fail("frame \(index + 1) asked for; the file has \(frames)") }
        switch encoding {
        case .native:
            return (try nativeFrame(index), 0, false)
        case .rle:
            var out = try rleFrame(compressed[index], frame: index)
            if photometric == "YBR_FULL" && samples == 3 && bytesPerSample == 1 { DICOMPixels.ybrToRGB(&out) }
            return (out, 0, false)
        case .codec(let kind):
            let stream = compressed[index]
            let size = samplesPerFrame * bytesPerSample
            guard size <= max(DICOMPixels.floorBytes, stream.count * DICOMPixels.maximumRatio) else {
                throw fail("frame \(index + 1) would decode to \(size) bytes from a \(stream.count)-byte \(kind.rawValue) codestream "
                           + "(more than \(DICOMPixels.maximumRatio) times): the header's image size is wrong, or the file is damaged")
            }
            guard bitsAllocated == 8 || bitsAllocated == 16 else {
                throw fail("\(kind.rawValue) with Bits Allocated \(bitsAllocated) is not supported (8 or 16)")
            }
            let result = DICOMCodecs.decode(kind, stream, width: columns, height: rows, components: samples, bytesPerSample: bytesPerSample,
                                           storedAsRGB: photometric == "RGB")
            guard let d = result.decoded else { throw fail("frame \(index + 1): \(result.failure)") }
            return (d.samples, d.precision, d.isSigned)
        }
    }

    /// A native frame: byte order, bit unpacking, planar configuration and YBR conversion undone.
    func nativeFrame(_ index: Int) throws -> [UInt8] {
        let frameBits = nativeFrameBits
        let bpp = bytesPerSample
        if bitsAllocated == 1 {
            // Bits are packed across frames without padding, least significant bit first (PS3.5 8.1.1).
            var out = [UInt8](repeating: 0, count: samplesPerFrame)
            let first = index * frameBits
            var data = native
            if bigEndian && vr == "OW" { swapPairs(&data) }
            for i in 0..<samplesPerFrame {
                let bit = first + i
                out[i] = (data[bit >> 3] >> UInt8(bit & 7)) & 1
            }
            return out
        }
        let frameBytes = frameBits / 8
        let start = index * frameBytes
        var out = Array(native[start..<(start + frameBytes)])
        if bigEndian {
            if bpp > 1 {
                for s in stride(from: 0, to: out.count, by: bpp) { out[s..<(s + bpp)].reverse() }
            } else if vr == "OW" {
                // 8-bit samples in OW words of a big endian file: pydicom swaps each word back.
                var whole = native
                swapPairs(&whole)
                out = Array(whole[start..<(start + frameBytes)])
            }
        }
        if photometric == "YBR_FULL_422" && bpp == 1 && samples == 3 {
            out = DICOMPixels.expand422(out, rows: rows, columns: columns)
        }
        if planar && samples > 1 { out = interleave(out) }
        if photometric.hasPrefix("YBR_FULL") && samples == 3 && bpp == 1 { DICOMPixels.ybrToRGB(&out) }
        return out
    }

    func swapPairs(_ data: inout [UInt8]) {
        for i in stride(from: 0, to: data.count - 1, by: 2) { data.swapAt(i, i + 1) }
    }

    /// Planar `(S, H, W)` samples to interleaved `(H, W, S)`.
    func interleave(_ planes: [UInt8]) -> [UInt8] {
        let pixels = rows * columns, bpp = bytesPerSample
        var out = [UInt8](repeating: 0, count: planes.count)
        for s in 0..<samples {
            for i in 0..<pixels {
                for b in 0..<bpp { out[(i * samples + s) * bpp + b] = planes[(s * pixels + i) * bpp + b] }
            }
        }
        return out
    }

    /// YBR_FULL_422 (Y0 Y1 Cb Cr per pair of pixels, PS3.3 C.7.6.3.1.2) to full YBR, as pydicom expands it.
    static func expand422(_ data: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows * columns * 3)
        var j = 0
        for i in stride(from: 0, to: rows * columns - 1, by: 2) {
            let y0 = data[j], y1 = data[j + 1], cb = data[j + 2], cr = data[j + 3]
            out[3 * i] = y0; out[3 * i + 1] = cb; out[3 * i + 2] = cr
            out[3 * i + 3] = y1; out[3 * i + 4] = cb; out[3 * i + 5] = cr
            j += 4
        }
        return out
    }

    /// YBR_FULL to RGB with pydicom's coefficients and arithmetic (float32, round half up, clipped).
    static func ybrToRGB(_ data: inout [UInt8]) {
        let m10 = Float(-0.114 * 1.772 / 0.587 as Double), m21 = Float(-0.299 * 1.402 / 0.587 as Double)
        for p in stride(from: 0, to: data.count - 2, by: 3) {
            let y = Float(data[p]), cb = Float(data[p + 1]) - 128, cr = Float(data[p + 2]) - 128
            let r = y + cb * 0 + cr * Float(1.402)
            let g = y + cb * m10 + cr * m21
            let b = y + cb * Float(1.772) + cr * 0
            data[p] = clip(r); data[p + 1] = clip(g); data[p + 2] = clip(b)
        }
        func clip(_ v: Float) -> UInt8 { UInt8(min(max((v + 0.5).rounded(.down), 0), 255)) }
    }

    /// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, one PackBits segment per
    /// byte of each sample, most significant byte first.
    func rleFrame(_ frame: [UInt8], frame index: Int) throws -> [UInt8] {
        func fail(_ reason: String) -> ImageError { self.fail("frame \(index + 1): RLE: \(reason)") }
        guard frame.count >= 64 else { throw fail("the frame is \(frame.count) bytes, shorter than its 64-byte header") }
        func le32(_ at: Int) -> Int { Int(frame[at]) | Int(frame[at + 1]) << 8 | Int(frame[at + 2]) << 16 | Int(frame[at + 3]) << 24 }
        let bpp = bytesPerSample, pixels = rows * columns
        let count = le32(0)
        guard bitsAllocated % 8 == 0, count == samples * bpp else {
            throw fail("\(count) segments; \(samples) samples of \(bitsAllocated) bits need \(samples * bpp)")
        }
        guard pixels * count <= max(DICOMPixels.floorBytes, frame.count * DICOMPixels.maximumRatio) else {
            throw fail("\(pixels * count) bytes from a \(frame.count)-byte frame (more than \(DICOMPixels.maximumRatio) times)")
        }
        let offsets = (0..<count).map { le32(4 + 4 * $0) }
        var out = [UInt8](repeating: 0, count: pixels * samples * bpp)
        for k in 0..<count {
            let start = offsets[k], end = k + 1 < count ? offsets[k + 1] : frame.count
            guard start >= 64, start <= end, end <= frame.count else {
                throw fail("segment \(k + 1) spans bytes \(start)..<\(end) of a \(frame.count)-byte frame")
            }
            // Segment k holds byte (bpp - 1 - k % bpp) of sample k / bpp, little endian in the output.
            let sample = k / bpp, byte = bpp - 1 - k % bpp
            var i = start, n = 0
            while n < pixels && i < end {
                let control = Int(Int8(bitPattern: frame[i])); i += 1
                if control >= 0 {
                    let length = control + 1
                    guard i + length <= end else { throw fail("segment \(k + 1): a literal run passes the segment's end") }
                    for j in 0..<min(length, pixels - n) { out[((n + j) * samples + sample) * bpp + byte] = frame[i + j] }
                    i += length; n += length
                } else if control != -128 {
                    guard i < end else { throw fail("segment \(k + 1): a repeat run passes the segment's end") }
                    let length = 1 - control, value = frame[i]; i += 1
                    for j in 0..<min(length, pixels - n) { out[((n + j) * samples + sample) * bpp + byte] = value }
                    n += length
                }
            }
            guard n >= pixels else { throw fail("segment \(k + 1) decodes to \(n) bytes, \(pixels) expected") }
        }
        return out
    }
}
