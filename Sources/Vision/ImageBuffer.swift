/// Image readers, pixel buffers, geometry and augmentation for the image CNN (issue 7).
///
/// Layout legend: H height (rows), W width (columns), C channels. Every buffer
/// is row-major with interleaved channels, `(H, W, C)`: the sample of row y,
/// column x, channel c sits at `(y * W + x) * C + c`.
public enum Vision {}

/// A type an image sample can have: 8-bit, 16-bit or floating point.
public protocol PixelValue: Sendable, Equatable {
    /// The value as a Float, unscaled.
    var floatValue: Float { get }
    /// The nearest representable value to `value` (rounded and clamped for integers).
    init(clampingFloat value: Float)
    /// The largest value of the type's natural range (255, 65535, or 1 for Float).
    static var fullScale: Float { get }
    /// Zero.
    static var zero: Self { get }
}

extension UInt8: PixelValue {
    public var floatValue: Float { Float(self) }
    public init(clampingFloat value: Float) {
        self = value.isNaN ? 0 : UInt8(Swift.min(Swift.max(value.rounded(), 0), 255))
    }
    public static var fullScale: Float { 255 }
}

extension UInt16: PixelValue {
    public var floatValue: Float { Float(self) }
    public init(clampingFloat value: Float) {
        self = value.isNaN ? 0 : UInt16(Swift.min(Swift.max(value.rounded(), 0), 65535))
    }
    public static var fullScale: Float { 65535 }
}

extension Float: PixelValue {
    public var floatValue: Float { self }
    public init(clampingFloat value: Float) { self = value }
    public static var fullScale: Float { 1 }
}

/// An image: width, height, channels and its samples in `(H, W, C)` order.
public struct ImageBuffer<Pixel: PixelValue>: Sendable, Equatable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Samples per pixel: 1 grey, 3 RGB (or more, e.g. zoom levels stacked).
    public let channels: Int
    /// `height * width * channels` samples, `(H, W, C)`.
    public var pixels: [Pixel]

    /// An image over existing samples; nil when the count does not match the size.
    public init?(width: Int, height: Int, channels: Int = 1, pixels: [Pixel]) {
        guard let count = ImageBuffer.sampleCount(width: width, height: height, channels: channels),
              pixels.count == count else { return nil }
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image filled with one value (zero unless told).
    public init(width: Int, height: Int, channels: Int = 1, fill: Pixel = .zero) {
        self.width = max(width, 1)
        self.height = max(height, 1)
        self.channels = max(channels, 1)
        self.pixels = Array(repeating: fill, count: self.width * self.height * self.channels)
    }

    /// The sample at column `x`, row `y`, channel `c` (the caller keeps them in range).
    @inline(__always)
    public subscript(x: Int, y: Int, c: Int) -> Pixel {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// The samples converted to Float and multiplied by `scale` (e.g. 1/255 maps 8-bit to [0, 1]).
    public func floats(scale: Float = 1) -> ImageBuffer<Float> {
        ImageBuffer<Float>(unchecked: width, height, channels, pixels.map { $0.floatValue * scale })
    }

    /// The samples scaled from this type's full range to [0, 1].
    public func normalized() -> ImageBuffer<Float> { floats(scale: 1 / Pixel.fullScale) }

    /// The image converted to another sample type, scaling full range to full range.
    public func converted<Other: PixelValue>(to: Other.Type = Other.self) -> ImageBuffer<Other> {
        let scale = Other.fullScale / Pixel.fullScale
        return ImageBuffer<Other>(unchecked: width, height, channels,
                                  pixels.map { Other(clampingFloat: $0.floatValue * scale) })
    }

    /// One channel as a grey image.
    public func channel(_ c: Int) -> ImageBuffer<Pixel> {
        let c = min(max(c, 0), channels - 1)
        var out = [Pixel](); out.reserveCapacity(width * height)
        for i in 0..<(width * height) { out.append(pixels[i * channels + c]) }
        return ImageBuffer(unchecked: width, height, 1, out)
    }

    /// The image as grey: the channel mean for colour images (ITU-R 601 luma for RGB).
    public func grey() -> ImageBuffer<Pixel> {
        if channels == 1 { return self }
        var out = [Pixel](); out.reserveCapacity(width * height)
        for i in 0..<(width * height) {
            let base = i * channels
            if channels == 3 {
                let v = 0.299 * pixels[base].floatValue + 0.587 * pixels[base + 1].floatValue
                    + 0.114 * pixels[base + 2].floatValue
                out.append(Pixel(clampingFloat: v))
            } else {
                var sum: Float = 0
                for c in 0..<channels { sum += pixels[base + c].floatValue }
                out.append(Pixel(clampingFloat: sum / Float(channels)))
            }
        }
        return ImageBuffer(unchecked: width, height, 1, out)
    }

    /// `width * height * channels`, or nil when a dimension is not positive or the product overflows.
    public static func sampleCount(width: Int, height: Int, channels: Int) -> Int? {
        guard width > 0, height > 0, channels > 0 else { return nil }
        let (wh, o1) = width.multipliedReportingOverflow(by: height)
        let (whc, o2) = wh.multipliedReportingOverflow(by: channels)
        return o1 || o2 ? nil : whc
    }

    /// Builds without checking; only for sizes computed here.
    init(unchecked width: Int, _ height: Int, _ channels: Int, _ pixels: [Pixel]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

/// An image as a reader found it: 8-bit, 16-bit or floating-point samples.
public enum AnyImage: Sendable, Equatable {
    case uint8(ImageBuffer<UInt8>)
    case uint16(ImageBuffer<UInt16>)
    case float(ImageBuffer<Float>)

    /// Columns.
    public var width: Int {
        switch self { case .uint8(let i): i.width; case .uint16(let i): i.width; case .float(let i): i.width }
    }
    /// Rows.
    public var height: Int {
        switch self { case .uint8(let i): i.height; case .uint16(let i): i.height; case .float(let i): i.height }
    }
    /// Samples per pixel.
    public var channels: Int {
        switch self { case .uint8(let i): i.channels; case .uint16(let i): i.channels; case .float(let i): i.channels }
    }
    /// Bits per sample as read: 8, 16 or 32 (Float).
    public var bitDepth: Int {
        switch self { case .uint8: 8; case .uint16: 16; case .float: 32 }
    }

    /// The samples scaled to [0, 1] (Float images are taken as already in [0, 1]).
    public func normalized() -> ImageBuffer<Float> {
        switch self {
        case .uint8(let i): i.normalized()
        case .uint16(let i): i.normalized()
        case .float(let i): i
        }
    }

    /// The image as 8-bit samples (16-bit keeps its high byte's range; Float [0, 1] maps to 0...255).
    public func bytes() -> ImageBuffer<UInt8> {
        switch self {
        case .uint8(let i): i
        case .uint16(let i): i.converted(to: UInt8.self)
        case .float(let i): i.converted(to: UInt8.self)
        }
    }
}
