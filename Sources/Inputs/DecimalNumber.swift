/// Numbers as tables and VCFs write them: decimal only.
///
/// Swift's `Double(String)` also reads hexadecimal floats (`0x1p-2` is 0.25), `nan`, `inf` and
/// `infinity`; a table cell holding one of those is a damaged or foreign value, not a number the
/// file's writer meant, so the readers of untrusted tables take numbers through here.
public enum DecimalNumber {
    /// `text` as a finite Double when it is `[+-]digits[.digits][(e|E)[+-]digits]` (digits on at
    /// least one side of the point), else nil.
    public static func parse(_ text: some StringProtocol) -> Double? {
        var sawDigit = false, sawPoint = false, sawExponent = false, exponentDigits = false
        var previous: UInt8 = 0
        for (i, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if sawExponent { exponentDigits = true } else { sawDigit = true }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard i == 0 || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return nil }
            case UInt8(ascii: "."):
                guard !sawPoint, !sawExponent else { return nil }
                sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard sawDigit, !sawExponent else { return nil }
                sawExponent = true
            default:
                return nil
            }
            previous = byte
        }
        guard sawDigit, !sawExponent || exponentDigits, let value = Double(String(text)), value.isFinite else { return nil }
        return value
    }
}
