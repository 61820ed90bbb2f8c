import CZlib
import Foundation

/// What went wrong reading a compressed file or an archive, with where.
public struct ArchiveError: Error, CustomStringConvertible, Equatable {
    /// The file (or archive member) the error is about, when known.
    public var file: String?
    /// Why the data cannot be read.
    public var reason: String

    /// An error about `file` (when known).
    public init(file: String? = nil, _ reason: String) {
        self.file = file
        self.reason = reason
    }

    /// `file: reason`, or the reason alone.
    public var description: String {
        if let file { return "\(file): \(reason)" }
        return reason
    }
}

/// The one door to zlib (with `Deflate` below): inflate gzip, zlib and raw DEFLATE streams.
public enum Inflate {
    /// The container around the DEFLATE stream.
    public enum Format: Sendable {
        /// gzip (RFC 1952); concatenated members are read one after another.
        case gzip
        /// Raw DEFLATE (RFC 1951), as inside zip archives.
        case raw
    }

    /// Past this many output bytes, a stream that has grown more than `bombRatio` times its
    /// compressed size is stopped as a decompression bomb. Text, VCF and images compress 3-20x; a
    /// stream of zeros 1,000x.
    public static let bombFloor = 1 << 26
    /// See `bombFloor`.
    public static let bombRatio = 200

    /// Decompresses all of `data`. `sizeHint` pre-sizes the output when the size is known; output
    /// beyond `maximumSize` bytes, or a decompression bomb (`bombRatio`), stops it with an error.
    public static func decompress(_ data: Data, format: Format, sizeHint: Int? = nil, maximumSize: Int = .max) throws -> Data {
        var output = Data()
        try inflateStream(data, format: format, sizeHint: sizeHint, maximumSize: maximumSize, into: &output)
        return output
    }

    private static func inflateStream(_ data: Data, format: Format, sizeHint: Int?, maximumSize: Int, into output: inout Data) throws {
        if data.isEmpty { throw ArchiveError("the compressed stream is empty") }
        output.reserveCapacity(min(sizeHint ?? max(data.count * 4, 1 << 16), maximumSize, 1 << 30))
        let bombLimit = max(bombFloor, data.count.multipliedReportingOverflow(by: bombRatio).overflow ? .max : data.count * bombRatio)
        var stream = z_stream()
        let windowBits: Int32 = format == .gzip ? 15 + 16 : -15
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ArchiveError("zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }

        let chunk = 1 << 18
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.bindMemory(to: UInt8.self).baseAddress else { return }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(input.count)
            while true {
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk - Int(stream.avail_out)
                if produced > 0 {
                    guard output.count + produced <= maximumSize else {
                        throw ArchiveError("decompresses to more than \(maximumSize) bytes")
                    }
                    guard output.count + produced <= bombLimit else {
                        throw ArchiveError("decompresses to more than \(bombRatio) times its \(data.count) bytes (a decompression bomb?); refused")
                    }
                    output.append(contentsOf: buffer[0..<produced])
                }
                switch status {
                case Z_STREAM_END:
                    // gzip files may hold several members: go on while input remains.
                    if format == .gzip && stream.avail_in > 0 {
                        if stream.next_in.pointee != 0x1f {
                            // Zero bytes after the last member are padding (gzip ignores them too);
                            // anything else was appended to the file or is left of a damaged member.
                            if let problem = Inflate.trailingGarbage(stream.next_in, count: Int(stream.avail_in)) { throw ArchiveError(problem) }
                            return
                        }
                        guard inflateReset(&stream) == Z_OK else { throw ArchiveError("zlib could not reset") }
                        continue
                    }
                    return
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        throw ArchiveError("the compressed stream is truncated")
                    }
                case Z_BUF_ERROR:
                    if stream.avail_in == 0 { throw ArchiveError("the compressed stream is truncated") }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    throw ArchiveError("corrupt compressed data (\(message))")
                }
            }
        }
    }

    /// Why the `count` bytes after the last gzip member make the file damaged, or nil when they are
    /// zero padding.
    static func trailingGarbage(_ bytes: UnsafeMutablePointer<UInt8>, count: Int) -> String? {
        guard UnsafeBufferPointer(start: bytes, count: count).contains(where: { $0 != 0 }) else { return nil }
        return "\(count) bytes after the end of the gzip data are not another gzip member (trailing garbage): the file was damaged or appended to"
    }

    /// The CRC-32 of `data`, as zip and gzip store it.
    public static func crc32(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { raw -> UInt32 in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return 0 }
            var crc: uLong = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < raw.count {  // zlib takes 32-bit lengths
                let n = min(raw.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, base + offset, uInt(n))
                offset += n
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}

/// The other half of the door to zlib: raw DEFLATE (RFC 1951), as zip archives store members.
public enum Deflate {
    /// `data` compressed as one raw DEFLATE stream at `level` (0 none ... 9 smallest; 6 is zlib's default).
    public static func compress(_ data: Data, level: Int32 = 6) throws -> Data {
        var stream = z_stream()
        // windowBits -15: raw DEFLATE, no zlib header or trailer; memLevel 8 is zlib's default.
        guard deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ArchiveError("zlib could not start deflating")
        }
        defer { deflateEnd(&stream) }
        var output = Data()
        let chunk = 1 << 18
        var buffer = [UInt8](repeating: 0, count: chunk)
        try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            let base = input.bindMemory(to: UInt8.self).baseAddress
            var offset = 0
            while true {
                // zlib takes 32-bit lengths: feed at most 1 GiB at a time.
                if stream.avail_in == 0, offset < input.count, let base {
                    let n = min(input.count - offset, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: base + offset)
                    stream.avail_in = uInt(n)
                    offset += n
                }
                let flush = offset == input.count ? Z_FINISH : Z_NO_FLUSH
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(chunk)
                    return deflate(&stream, flush)
                }
                output.append(contentsOf: buffer[0..<(chunk - Int(stream.avail_out))])
                if status == Z_STREAM_END { return }
                guard status == Z_OK || status == Z_BUF_ERROR else { throw ArchiveError("zlib could not deflate (code \(status))") }
            }
        }
        return output
    }
}

/// A file read as a stream of bytes, gunzipped on the fly when it is gzip (recognised by its magic
/// bytes): memory stays at two 1 MiB buffers whatever the file's size. Truncation, corruption and
/// decompression bombs (`Inflate.bombRatio`) are errors thrown by the read that meets them.
public final class ByteStream {
    /// Whether the file is gzip.
    public let isGzip: Bool
    /// Decompressed bytes read so far.
    public private(set) var produced = 0
    private let handle: FileHandle
    private var stream = z_stream()
    private let chunk = 1 << 20
    private let input: UnsafeMutablePointer<UInt8>
    private var consumed = 0
    private var finished = false
    private var pending = Data()  // plain files: bytes read ahead

    /// Opens `path`; throws when it cannot be read.
    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ArchiveError(file: path, "cannot be read") }
        self.handle = handle
        input = .allocate(capacity: chunk)
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        isGzip = head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
        if isGzip {
            for (i, b) in head.enumerated() { input[i] = b }
            stream.next_in = input
            stream.avail_in = uInt(head.count)
            consumed = head.count
            guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                input.deallocate()
                throw ArchiveError(file: path, "zlib could not start inflating")
            }
        } else {
            pending = head
        }
    }

    deinit {
        if isGzip { inflateEnd(&stream) }
        input.deallocate()
        try? handle.close()
    }

    /// Up to `count` bytes; fewer only at the end of the file.
    public func read(_ count: Int) throws -> Data {
        guard count > 0 else { return Data() }
        if !isGzip {
            var out = pending
            pending = Data()
            if out.count < count, let more = try handle.read(upToCount: count - out.count) { out.append(more) }
            produced += out.count
            return out
        }
        var out = Data(count: count)
        var filled = 0
        while filled < count && !finished {
            if stream.avail_in == 0 {
                let more = (try handle.read(upToCount: chunk)) ?? Data()
                if more.isEmpty { throw ArchiveError("the compressed stream is truncated") }
                more.copyBytes(to: input, count: more.count)
                stream.next_in = input
                stream.avail_in = uInt(more.count)
                consumed += more.count
            }
            let status: Int32 = out.withUnsafeMutableBytes { raw in
                guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { return Z_STREAM_ERROR }
                stream.next_out = base + filled
                stream.avail_out = uInt(count - filled)
                return inflate(&stream, Z_NO_FLUSH)
            }
            let now = count - Int(stream.avail_out)
            produced += now - filled
            filled = now
            if produced > Inflate.bombFloor && produced / Inflate.bombRatio > consumed {
                throw ArchiveError("decompresses to more than \(Inflate.bombRatio) times its size (a decompression bomb?); refused")
            }
            switch status {
            case Z_STREAM_END:
                // Another gzip member may follow (concatenated gzip); anything else ends the file.
                if stream.avail_in == 0, let more = try handle.read(upToCount: chunk), !more.isEmpty {
                    more.copyBytes(to: input, count: more.count)
                    stream.next_in = input
                    stream.avail_in = uInt(more.count)
                    consumed += more.count
                }
                if stream.avail_in > 0 && stream.next_in.pointee == 0x1f {
                    guard inflateReset(&stream) == Z_OK else { throw ArchiveError("zlib could not reset") }
                } else {
                    // (Only the bytes already read are looked at: a streamed file is not read to its end for this.)
                    if stream.avail_in > 0, let problem = Inflate.trailingGarbage(stream.next_in, count: Int(stream.avail_in)) {
                        throw ArchiveError(problem)
                    }
                    finished = true
                }
            case Z_OK, Z_BUF_ERROR:
                continue
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw ArchiveError("corrupt compressed data (\(message))")
            }
        }
        return filled == count ? out : out.prefix(filled)
    }

    /// Reads and drops `count` bytes (a member too large to keep); false when the file ends first.
    public func skip(_ count: Int) throws -> Bool {
        var left = count
        while left > 0 {
            let part = try read(min(left, chunk))
            if part.isEmpty { return false }
            left -= part.count
        }
        return true
    }
}
