/// Walks DICOM data elements: little or big endian, explicit or implicit VR (PS3.5 7).
struct DICOMParser {
    /// One element: its tag, value representation ("" in implicit VR) and value bytes (empty for a sequence).
    struct Element { let tag: UInt32; let vr: String; let value: [UInt8] }
    let bytes: [UInt8]
    let origin: String
    var position: Int
    var explicit: Bool
    var bigEndian = false
    var depth = 0
    /// Encapsulated Pixel Data (undefined length): its items (the Basic Offset Table first), when read.
    var pixelItems: [[UInt8]]?
    /// The items of a Modality LUT Sequence (0028,3000), when one was read: the first is used.
    var modalityLUTItems: [[UInt8]]?

    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
    static let undefinedLength: UInt32 = 0xFFFF_FFFF
    static let pixelData: UInt32 = 0x7FE0_0010
    static let item: UInt32 = 0xFFFE_E000, itemDelimiter: UInt32 = 0xFFFE_E00D, sequenceDelimiter: UInt32 = 0xFFFE_E0DD

    func fail(_ reason: String, at: Int? = nil) -> ImageError {
        ImageError(file: origin, position: "byte \(at ?? position)", reason)
    }

    func u16(_ at: Int) -> UInt16 {
        bigEndian ? UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) : UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }
    func u32(_ at: Int) -> UInt32 {
        bigEndian ? UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) : UInt32(u16(at)) | UInt32(u16(at + 2)) << 16
    }
    /// Item tags and their lengths are little endian whatever the data set (PS3.5 A.4: encapsulation).
    func le32(_ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    func peekGroup() -> UInt16 { u16(position) }

    /// Reads one element; sequences are skipped and returned empty (a Modality LUT Sequence's items are kept).
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
            if tag == DICOMParser.pixelData {
                pixelItems = try encapsulatedItems()
                return Element(tag: tag, vr: vr, value: [])
            }
            // A sequence of undefined length (SQ, UN, or any tag in implicit VR).
            let wasExplicit = explicit
            if vr == "UN" { explicit = false }  // PS3.5 6.2.2: UN of undefined length is implicit VR inside
            let itemsStart = position
            try skipItems(until: DICOMParser.sequenceDelimiter)
            if tag == 0x0028_3000 && depth == 0 { modalityLUTItems = try items(of: Array(bytes[itemsStart..<position])) }
            explicit = wasExplicit
            return Element(tag: tag, vr: vr, value: [])
        }
        let end = position + Int(length)
        guard end <= bytes.count else {
            throw fail("truncated: \(DICOMParser.tagName(tag)) claims \(length) bytes, only \(bytes.count - position) remain", at: start)
        }
        let value = Array(bytes[position..<end])
        position = end
        if vr == "SQ" || (tag == 0x0028_3000 && depth == 0) {
            if tag == 0x0028_3000 && depth == 0 { modalityLUTItems = try items(of: value) }
            return Element(tag: tag, vr: vr, value: [])
        }
        return Element(tag: tag, vr: vr, value: value)
    }

    /// The value bytes of each item of a sequence's value (items of defined or undefined length).
    func items(of value: [UInt8]) throws -> [[UInt8]] {
        var sub = DICOMParser(bytes: value, origin: origin, position: 0, explicit: explicit, bigEndian: bigEndian, depth: depth + 1)
        var found: [[UInt8]] = []
        while sub.position + 8 <= value.count {
            let tag = UInt32(sub.u16(sub.position)) << 16 | UInt32(sub.u16(sub.position + 2))
            let length = sub.u32(sub.position + 4)
            sub.position += 8
            if tag == DICOMParser.sequenceDelimiter { break }
            guard tag == DICOMParser.item else { throw fail("a sequence holds \(DICOMParser.tagName(tag)) where an item should be") }
            let start = sub.position
            if length == DICOMParser.undefinedLength {
                try sub.skipItems(until: DICOMParser.itemDelimiter, elements: true)
                found.append(Array(value[start..<max(start, sub.position - 8)]))
            } else {
                guard sub.position + Int(length) <= value.count else { throw fail("truncated sequence item") }
                sub.position += Int(length)
                found.append(Array(value[start..<sub.position]))
            }
        }
        return found
    }

    /// The items of encapsulated Pixel Data (PS3.5 A.4), up to its Sequence Delimitation Item.
    mutating func encapsulatedItems() throws -> [[UInt8]] {
        var items: [[UInt8]] = []
        while true {
            guard position + 8 <= bytes.count else {
                // pydicom and most readers accept a file that ends after its last fragment.
                if !items.isEmpty && position == bytes.count { return items }
                throw fail("truncated: encapsulated Pixel Data has no Sequence Delimitation Item before the end of the file")
            }
            let tag = UInt32(le32(position) & 0xFFFF) << 16 | UInt32(le32(position) >> 16)
            let length = le32(position + 4)
            if tag == DICOMParser.sequenceDelimiter { position += 8; return items }
            guard tag == DICOMParser.item else {
                throw fail("encapsulated Pixel Data holds \(DICOMParser.tagName(tag)) where an item (FFFE,E000) should be")
            }
            guard length != DICOMParser.undefinedLength else { throw fail("a Pixel Data fragment of undefined length") }
            position += 8
            guard position + Int(length) <= bytes.count else {
                throw fail("truncated: a Pixel Data fragment claims \(length) bytes, only \(bytes.count - position) remain")
            }
            items.append(Array(bytes[position..<(position + Int(length))]))
            position += Int(length)
        }
    }

    /// Skips elements and items until the delimiter `tag` (sequence or item delimitation), consuming it.
    mutating func skipItems(until delimiter: UInt32, elements: Bool = false) throws {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw fail("sequences nested more than 64 deep (a corrupt file?)") }
        while true {
            guard position + 8 <= bytes.count else {
                throw fail("truncated: a sequence of undefined length has no delimiter before the end of the file")
            }
            let tag = UInt32(u16(position)) << 16 | UInt32(u16(position + 2))
            if tag == delimiter { position += 8; return }
            if tag == DICOMParser.item && !elements {
                let length = u32(position + 4)
                position += 8
                if length == DICOMParser.undefinedLength {
                    try skipItems(until: DICOMParser.itemDelimiter, elements: true)
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
