import Foundation

/// Random training-time changes of an image: flip, small rotation, crop (shift and zoom), contrast.
///
/// The geometric ones compose into one affine warp, so an augmented image is
/// resampled once. The configuration round-trips through `Codable` and through
/// its `--augment` spelling, e.g. "flip,rotate,crop,contrast".
public struct ImageAugmentation: Sendable, Codable, Equatable {
    /// The names `--augment` accepts.
    public static let names = ["flip", "rotate", "crop", "contrast"]

    /// Mirror left-right with probability 1/2.
    public var flip = false
    /// Rotate by a uniform angle in [-maxRotation, maxRotation] degrees.
    public var maxRotation: Float = 0
    /// Shift by up to this fraction of the width and height (a random crop with padding).
    public var maxShift: Float = 0
    /// Zoom in by a factor in [1, 1 + maxZoom] (a random resized crop).
    public var maxZoom: Float = 0
    /// Scale contrast by a factor in [1 - contrast, 1 + contrast] and brightness by up to contrast / 2.
    public var contrast: Float = 0

    /// No augmentation.
    public init() {}

    /// Parses a comma-separated list of `names` ("" or "none" for nothing), with the house defaults:
    /// rotate ±10°, crop shifts ≤10% and zooms ≤10%, contrast ±20%.
    public init(list: String) throws {
        let parts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for part in parts where !part.isEmpty && part != "none" {
            switch part {
            case "flip": flip = true
            case "rotate": maxRotation = 10
            case "crop": maxShift = 0.1; maxZoom = 0.1
            case "contrast": contrast = 0.2
            default:
                throw ImageError(file: "augmentations", "unknown augmentation '\(part)' (choose from \(Self.names.joined(separator: ", ")))")
            }
        }
    }

    /// The `--augment` spelling of this configuration (defaults only).
    public var list: String {
        var out: [String] = []
        if flip { out.append("flip") }
        if maxRotation > 0 { out.append("rotate") }
        if maxShift > 0 || maxZoom > 0 { out.append("crop") }
        if contrast > 0 { out.append("contrast") }
        return out.isEmpty ? "none" : out.joined(separator: ",")
    }

    /// True when nothing is enabled.
    public var isIdentity: Bool { !flip && maxRotation == 0 && maxShift == 0 && maxZoom == 0 && contrast == 0 }

    /// One random augmentation of `image` (samples in [0, 1]) drawn from `generator`.
    public func apply<G: RandomNumberGenerator>(_ image: ImageBuffer<Float>, using generator: inout G) -> ImageBuffer<Float> {
        if isIdentity { return image }
        func uniform(_ a: Float, _ b: Float) -> Float { a + (b - a) * Float.random(in: 0..<1, using: &generator) }
        var out = image
        let mirror: Float = flip && Bool.random(using: &generator) ? -1 : 1
        let angle = maxRotation > 0 ? uniform(-maxRotation, maxRotation) * Float.pi / 180 : 0
        let zoom = maxZoom > 0 ? uniform(1, 1 + maxZoom) : 1
        let dx = maxShift > 0 ? uniform(-maxShift, maxShift) * Float(image.width) : 0
        let dy = maxShift > 0 ? uniform(-maxShift, maxShift) * Float(image.height) : 0
        if mirror != 1 || angle != 0 || zoom != 1 || dx != 0 || dy != 0 {
            // Inverse map from output to input: mirror, rotate back, shrink by the zoom.
            let c = cos(angle) / zoom, s = sin(angle) / zoom
            out = image.warped((c * mirror, -s, s * mirror, c), shift: (dx, dy))
        }
        if contrast > 0 {
            out = out.contrastAdjusted(uniform(1 - contrast, 1 + contrast))
                .brightnessAdjusted(uniform(-contrast / 2, contrast / 2))
        }
        return out
    }
}
