import Foundation

/// One NumPy array read from a `.npy` file (format versions 1.0, 2.0 and 3.0).
///
/// Numeric dtypes only (bool, signed and unsigned 8 to 64-bit integers, 32 and
/// 64-bit floats, either byte order); structured, object and string dtypes are
/// refused. Fortran-ordered arrays are reordered to C order on load, so `data`
/// is always row-major.
public struct NPYArray: Sendable, Equatable {
    /// The element types this reader understands.
    public enum DType: String, Sendable, Equatable {
        case bool = "b1", int8 = "i1", uint8 = "u1", int16 = "i2", uint16 = "u2"
        case int32 = "i4", uint32 = "u4", int64 = "i8", uint64 = "u8", float32 = "f4", float64 = "f8"

        /// Bytes per element.
        public var size: Int { Int(rawValue.dropFirst()) ?? 1 }
        /// True for the integer and bool types.
        public var isInteger: Bool { self != .float32 && self != .float64 }
    }

    /// The element type.
    public let dtype: DType
    /// True when multi-byte elements are big-endian (`>` in the descr).
    public let bigEndian: Bool
    /// The dimensions, outermost first; `[]` for a scalar.
    public let shape: [Int]
    /// The elements' bytes in C (row-major) order.
    public let data: Data

    /// The number of elements (the product of the shape).
    public var count: Int { shape.reduce(1, *) }

    /// Parses the bytes of a `.npy` file; `origin` names it in errors.
    public init(npy bytes: Data, origin: String) throws {
        let d = Data(bytes)  // indices from zero
        func fail(_ reason: String, at position: Int? = nil) -> ImageError {
            ImageError(file: origin, position: position.map { "byte \($0)" }, reason)
        }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
        guard d.count >= 10 else { throw fail("too short to be a .npy file (\(d.count) bytes)") }
        guard Array(d[0..<6]) == magic else { throw fail("not a .npy file (no \\x93NUMPY magic)", at: 0) }
        let major = d[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(d[8]) | Int(d[9]) << 8
            headerStart = 10
        case 2, 3:
            guard d.count >= 12 else { throw fail("truncated header", at: 8) }
            headerLength = Int(d[8]) | Int(d[9]) << 8 | Int(d[10]) << 16 | Int(d[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major).\(d[7]) (1.0, 2.0 and 3.0 are)", at: 6)
        }
        guard headerStart + headerLength <= d.count else {
            throw fail("truncated header: it claims \(headerLength) bytes, the file has \(d.count - headerStart) left", at: headerStart)
        }
        let headerText = String(decoding: d[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let header: [String: NPYHeaderValue]
        do {
            var parser = NPYHeaderParser(text: headerText)
            header = try parser.parseDictionary()
        } catch let reason as NPYHeaderParser.Failure {
            throw fail("bad header \(headerText.trimmingCharacters(in: .whitespacesAndNewlines).debugDescription): \(reason.message)", at: headerStart)
        }
        guard case .string(let descr)? = header["descr"] else {
            throw fail("the header has no 'descr' string (structured dtypes are not supported)", at: headerStart)
        }
        guard case .bool(let fortran)? = header["fortran_order"] else {
            throw fail("the header has no 'fortran_order'", at: headerStart)
        }
        guard case .tuple(let shape)? = header["shape"] else {
            throw fail("the header has no 'shape' tuple", at: headerStart)
        }
        guard descr.count >= 3, let kind = DType(rawValue: String(descr.dropFirst())) else {
            throw fail("unsupported dtype '\(descr)' (numeric bool, int, uint and float of 1-8 bytes are supported)", at: headerStart)
        }
        let order = descr.first ?? "|"
        guard order == "<" || order == ">" || order == "|" || order == "=" else {
            throw fail("unsupported byte order '\(order)' in dtype '\(descr)'", at: headerStart)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in shape \(shape)", at: headerStart) }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= Int(Int32.max) * 64 else { throw fail("shape \(shape) is too large", at: headerStart) }
            count = product
        }
        let dataStart = headerStart + headerLength
        let expected = count * kind.size
        let available = d.count - dataStart
        guard available >= expected else {
            throw fail("truncated: shape \(shape) of \(descr) needs \(expected) bytes of data, the file has \(available)", at: dataStart)
        }
        guard available == expected else {
            throw fail("\(available - expected) unexpected bytes after the data of shape \(shape)", at: dataStart + expected)
        }
        self.dtype = kind
        self.bigEndian = order == ">"
        self.shape = shape
        let raw = d[dataStart..<(dataStart + expected)]
        self.data = fortran && shape.count > 1
            ? NPYArray.fortranToC(Data(raw), shape: shape, elementSize: kind.size)
            : Data(raw)
    }

    /// An array over existing bytes (C order, little-endian for multi-byte types); nil when sizes disagree.
    public init?(dtype: DType, shape: [Int], data: Data) {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) * dtype.size == data.count else { return nil }
        self.dtype = dtype
        self.bigEndian = false
        self.shape = shape
        self.data = Data(data)
    }

    /// An 8-bit unsigned array (the MedMNIST image and label type).
    public init?(uint8 values: [UInt8], shape: [Int]) {
        self.init(dtype: .uint8, shape: shape, data: Data(values))
    }

    /// The elements as bytes; only for uint8 and bool arrays, whose bytes they are.
    public func uint8Values(origin: String = "array") throws -> [UInt8] {
        guard dtype == .uint8 || dtype == .bool else {
            throw ImageError(file: origin, "expected a uint8 array, found \(dtype) (\(bigEndian ? ">" : "<")\(dtype.rawValue))")
        }
        return [UInt8](data)
    }

    /// The element at flat index `i` as a Double (exact for integers below 2^53).
    public func double(at i: Int) -> Double {
        let base = i * dtype.size
        func bits(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n {
                let byte = UInt64(data[base + (bigEndian ? n - 1 - k : k)])
                v |= byte << (8 * UInt64(k))
            }
            return v
        }
        switch dtype {
        case .bool, .uint8: return Double(data[base])
        case .int8: return Double(Int8(bitPattern: data[base]))
        case .int16: return Double(Int16(truncatingIfNeeded: bits(2)))
        case .uint16: return Double(UInt16(truncatingIfNeeded: bits(2)))
        case .int32: return Double(Int32(truncatingIfNeeded: bits(4)))
        case .uint32: return Double(UInt32(truncatingIfNeeded: bits(4)))
        case .int64: return Double(Int64(bitPattern: bits(8)))
        case .uint64: return Double(bits(8))
        case .float32: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits(4))))
        case .float64: return Double(bitPattern: bits(8))
        }
    }

    /// All elements as Float, in C order.
    public func floatValues() -> [Float] {
        if dtype == .uint8 || dtype == .bool { return data.map { Float($0) } }
        return (0..<count).map { Float(double(at: $0)) }
    }

    /// All elements as Int; throws when an element is not a whole number (floats must hold integers).
    public func intValues(origin: String = "array") throws -> [Int] {
        if dtype == .uint8 || dtype == .bool { return data.map { Int($0) } }
        var out = [Int](); out.reserveCapacity(count)
        for i in 0..<count {
            let v = double(at: i)
            guard v.isFinite, v == v.rounded() else {
                throw ImageError(file: origin, position: "element \(i)", "value \(v) is not a whole number")
            }
            guard abs(v) < 9.0e15 else {
                throw ImageError(file: origin, position: "element \(i)", "value \(v) is too large for a label or an index")
            }
            out.append(Int(v))
        }
        return out
    }

    /// The `.npy` (version 1.0) bytes of this array, little-endian, C order.
    public func npyBytes() -> Data {
        let order = dtype.size == 1 ? "|" : "<"
        let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(order)\(dtype.rawValue)', 'fortran_order': False, 'shape': \(dims), }"
        // Magic (6) + version (2) + length (2) + header + newline is a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let length = header.utf8.count
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        if bigEndian && dtype.size > 1 {
            var swapped = [UInt8](data)
            let n = dtype.size
            var i = 0
            while i < swapped.count { swapped[i..<(i + n)].reverse(); i += n }
            out.append(contentsOf: swapped)
        } else {
            out.append(data)
        }
        return out
    }

    /// Reorders column-major bytes to row-major.
    static func fortranToC(_ raw: Data, shape: [Int], elementSize: Int) -> Data {
        let count = shape.reduce(1, *)
        guard count > 0 else { return raw }
        let src = [UInt8](raw)
        var dst = [UInt8](repeating: 0, count: src.count)
        var fortranStrides = [Int](repeating: 1, count: shape.count)
        for k in 1..<shape.count { fortranStrides[k] = fortranStrides[k - 1] * shape[k - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for flat in 0..<count {
            var offset = 0
            for k in 0..<shape.count { offset += index[k] * fortranStrides[k] }
            for b in 0..<elementSize { dst[flat * elementSize + b] = src[offset * elementSize + b] }
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return Data(dst)
    }
}

/// A value in a `.npy` header: the Python literal subset NumPy writes.
enum NPYHeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case tuple([Int])
    case other
}

/// Parses the Python dict literal of a `.npy` header, e.g. `{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }`.
struct NPYHeaderParser {
    struct Failure: Error { let message: String }
    let bytes: [UInt8]
    var i = 0

    init(text: String) { bytes = Array(text.utf8) }

    mutating func parseDictionary() throws -> [String: NPYHeaderValue] {
        skipSpace()
        try expect(UInt8(ascii: "{"))
        var out: [String: NPYHeaderValue] = [:]
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "}") { i += 1; break }
            guard case .string(let key) = try parseValue() else { throw Failure(message: "a key is not a string") }
            skipSpace()
            try expect(UInt8(ascii: ":"))
            out[key] = try parseValue()
            skipSpace()
            if peek() == UInt8(ascii: ",") { i += 1; continue }
            skipSpace()
            guard peek() == UInt8(ascii: "}") else { throw Failure(message: "expected ',' or '}' at character \(i)") }
        }
        return out
    }

    /// One value; `depth` counts the tuples around it (a shape holds integers, so nesting stops at 4:
    /// a header of nested brackets must not recurse until the stack runs out).
    mutating func parseValue(depth: Int = 0) throws -> NPYHeaderValue {
        guard depth <= 4 else { throw Failure(message: "tuples nested too deep at character \(i)") }
        skipSpace()
        guard let c = peek() else { throw Failure(message: "unexpected end") }
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            i += 1
            let start = i
            while let d = peek(), d != c { i += 1 }
            guard peek() == c else { throw Failure(message: "unterminated string") }
            let s = String(decoding: bytes[start..<i], as: UTF8.self)
            i += 1
            return .string(s)
        case UInt8(ascii: "("):
            i += 1
            var values: [Int] = []
            while true {
                skipSpace()
                if peek() == UInt8(ascii: ")") { i += 1; break }
                guard case .int(let v) = try parseValue(depth: depth + 1) else { throw Failure(message: "a shape entry is not an integer") }
                values.append(v)
                skipSpace()
                if peek() == UInt8(ascii: ",") { i += 1; continue }
                skipSpace()
                guard peek() == UInt8(ascii: ")") else { throw Failure(message: "expected ',' or ')' in the shape") }
            }
            return .tuple(values)
        case UInt8(ascii: "["):
            // A list descr means a structured dtype: skip it to report that clearly.
            var depth = 0
            while let d = peek() {
                if d == UInt8(ascii: "[") { depth += 1 }
                if d == UInt8(ascii: "]") { depth -= 1; if depth == 0 { i += 1; break } }
                i += 1
            }
            return .other
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            i += 1
            while let d = peek(), d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") { i += 1 }
            // NumPy 1.x on Windows may write 3L; accept the suffix.
            if peek() == UInt8(ascii: "L") { i += 1 }
            let digits = String(decoding: bytes[start..<i], as: UTF8.self).replacingOccurrences(of: "L", with: "")
            guard let v = Int(digits) else { throw Failure(message: "bad integer \(digits)") }
            return .int(v)
        default:
            let start = i
            while let d = peek(), (d >= UInt8(ascii: "A") && d <= UInt8(ascii: "z")) { i += 1 }
            let word = String(decoding: bytes[start..<i], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            default: throw Failure(message: "unexpected \(word.isEmpty ? "character at \(i)" : word)")
            }
        }
    }

    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    mutating func skipSpace() {
        while let c = peek(), c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        guard peek() == c else { throw Failure(message: "expected '\(Character(Unicode.Scalar(c)))' at character \(i)") }
        i += 1
    }
}
