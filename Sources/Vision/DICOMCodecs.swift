import CDICOMCodecs

/// The compressed codestreams of DICOM's JPEG family, decoded by Debian's libraries through
/// `CDICOMCodecs` (this is the one file that imports it): libjpeg-turbo (8-bit lossy JPEG), GDCM's
/// IJG builds (12-bit lossy JPEG, lossless JPEG), CharLS (JPEG-LS) and OpenJPEG (JPEG 2000).
enum DICOMCodecs {
    enum Kind: String { case jpeg = "JPEG", jpegLS = "JPEG-LS", jpeg2000 = "JPEG 2000" }

    /// What a decoder returned: interleaved samples (1 byte each, or 2 in host order) and the stream's facts.
    struct Decoded {
        var samples: [UInt8]
        let precision: Int
        let isSigned: Bool
    }

    /// Decodes one frame's codestream into `width * height * components` samples of `bytesPerSample` bytes
/// (`storedAsRGB`: the header says RGB; see triage_jpeg_decode).
    static func decode(_ kind: Kind, _ stream: [UInt8], width: Int, height: Int, components: Int,
                       bytesPerSample: Int, storedAsRGB: Bool = false) -> (decoded: Decoded?, failure: String) {
        let count = width * height * components * bytesPerSample
        var out = [UInt8](repeating: 0, count: max(count, 1))
        var info = triage_codec_info()
        let ok: Int32 = stream.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                let w = Int32(width), h = Int32(height), c = Int32(components), b = Int32(bytesPerSample)
                switch kind {
                case .jpeg:
                    return triage_jpeg_decode(input.baseAddress, input.count, output.baseAddress, count, b, w, h, c, storedAsRGB ? 1 : 0, &info)
                case .jpegLS:
                    return triage_jpegls_decode(input.baseAddress, input.count, output.baseAddress, count, b, w, h, c, &info)
                case .jpeg2000:
                    return triage_jpeg2000_decode(input.baseAddress, input.count, output.baseAddress, count, b, w, h, c, &info)
                }
            }
        }
        guard ok == 1 else {
            let message = withUnsafeBytes(of: &info.message) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            return (nil, message.isEmpty ? "the \(kind.rawValue) decoder failed" : message)
        }
        if count == 0 { out = [] }
        // The decoders write 2-byte samples in host order; frames are little endian from here on.
        if bytesPerSample == 2 && UInt16(1).bigEndian == 1 {
            for i in stride(from: 0, to: out.count - 1, by: 2) { out.swapAt(i, i + 1) }
        }
        return (Decoded(samples: out, precision: Int(info.precision), isSigned: info.isSigned != 0), "")
    }
}
