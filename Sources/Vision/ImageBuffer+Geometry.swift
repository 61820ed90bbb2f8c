import Foundation

extension ImageBuffer {
    /// The image mirrored left to right.
    public func flippedHorizontally() -> ImageBuffer {
        var out = self
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { out[x, y, c] = self[width - 1 - x, y, c] }
            }
        }
        return out
    }

    /// The image mirrored top to bottom.
    public func flippedVertically() -> ImageBuffer {
        var out = self
        let row = width * channels
        for y in 0..<height {
            let src = (height - 1 - y) * row, dst = y * row
            out.pixels.replaceSubrange(dst..<(dst + row), with: pixels[src..<(src + row)])
        }
        return out
    }

    /// The rectangle at column `x`, row `y` of the given size; parts outside the image are `fill`.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int, fill: Pixel = .zero) -> ImageBuffer {
        var out = ImageBuffer(width: w, height: h, channels: channels, fill: fill)
        let x0 = max(x, 0), x1 = min(x + out.width, width)
        guard x1 > x0 else { return out }
        for row in 0..<out.height {
            let sy = y + row
            guard sy >= 0 && sy < height else { continue }
            let src = (sy * width + x0) * channels, dst = (row * out.width + (x0 - x)) * channels
            let n = (x1 - x0) * channels
            out.pixels.replaceSubrange(dst..<(dst + n), with: pixels[src..<(src + n)])
        }
        return out
    }

    /// The central `width` x `height` rectangle (padded with `fill` when larger than the image).
    public func centerCropped(width w: Int, height h: Int, fill: Pixel = .zero) -> ImageBuffer {
        cropped(x: (width - w) / 2, y: (height - h) / 2, width: w, height: h, fill: fill)
    }

    /// The image resampled to a new size: bilinear with pixel centres aligned (like PyTorch
    /// `align_corners=False`), after a box filter when shrinking by 2 or more so detail averages.
    public func resized(width w: Int, height h: Int) -> ImageBuffer {
        let w = max(w, 1), h = max(h, 1)
        if w == width && h == height { return self }
        var source = floats()
        // Shrink by whole factors with a box filter first: bilinear alone would alias.
        let fx = max(source.width / w, 1), fy = max(source.height / h, 1)
        if fx > 1 || fy > 1 { source = source.boxShrunk(fx: fx, fy: fy) }
        let sx = Float(source.width) / Float(w), sy = Float(source.height) / Float(h)
        var out = [Pixel](); out.reserveCapacity(w * h * channels)
        for y in 0..<h {
            let fyPos = max((Float(y) + 0.5) * sy - 0.5, 0)
            let y0 = min(Int(fyPos), source.height - 1), y1 = min(y0 + 1, source.height - 1)
            let ty = fyPos - Float(y0)
            for x in 0..<w {
                let fxPos = max((Float(x) + 0.5) * sx - 0.5, 0)
                let x0 = min(Int(fxPos), source.width - 1), x1 = min(x0 + 1, source.width - 1)
                let tx = fxPos - Float(x0)
                for c in 0..<channels {
                    let top = source[x0, y0, c] * (1 - tx) + source[x1, y0, c] * tx
                    let bottom = source[x0, y1, c] * (1 - tx) + source[x1, y1, c] * tx
                    out.append(Pixel(clampingFloat: top * (1 - ty) + bottom * ty))
                }
            }
        }
        return ImageBuffer(unchecked: w, h, channels, out)
    }

    /// The image warped by an affine map about its centre: output pixel p samples the input at
    /// `centre + A (p - centre) + shift` (bilinear; outside is `fill`). `A` is row-major 2x2.
    public func warped(_ a: (Float, Float, Float, Float), shift: (x: Float, y: Float) = (0, 0),
                       fill: Float = 0) -> ImageBuffer {
        let source = floats()
        let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
        var out = [Pixel](); out.reserveCapacity(pixels.count)
        for y in 0..<height {
            let dy = Float(y) - cy
            for x in 0..<width {
                let dx = Float(x) - cx
                let sx = cx + a.0 * dx + a.1 * dy + shift.x
                let sy = cy + a.2 * dx + a.3 * dy + shift.y
                let x0f = sx.rounded(.down), y0f = sy.rounded(.down)
                let tx = sx - x0f, ty = sy - y0f
                let x0 = Int(x0f), y0 = Int(y0f)
                for c in 0..<channels {
                    @inline(__always) func at(_ px: Int, _ py: Int) -> Float {
                        px >= 0 && px < width && py >= 0 && py < height ? source[px, py, c] : fill
                    }
                    let v = (at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx) * (1 - ty)
                        + (at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx) * ty
                    out.append(Pixel(clampingFloat: v))
                }
            }
        }
        return ImageBuffer(unchecked: width, height, channels, out)
    }

    /// The image rotated by `degrees` (counter-clockwise as displayed) about its centre, same size.
    public func rotated(degrees: Float, fill: Float = 0) -> ImageBuffer {
        let t = degrees * Float.pi / 180
        // Inverse map: rotate output coordinates back by -t (y points down on screen).
        return warped((cos(t), -sin(t), sin(t), cos(t)), fill: fill)
    }

    /// The central region of size `width/zoom` x `height/zoom`, resized back to `width` x `height`
    /// (or to `size` when given): zoom 1 is the whole image, zoom 2 its middle half.
    public func zoomed(_ zoom: Float, size: (width: Int, height: Int)? = nil) -> ImageBuffer {
        let w = size?.width ?? width, h = size?.height ?? height
        let z = max(zoom, 1)
        let cw = max(Int((Float(width) / z).rounded()), 1), ch = max(Int((Float(height) / z).rounded()), 1)
        return centerCropped(width: cw, height: ch).resized(width: w, height: h)
    }

    /// Several zooms of the image stacked as channels `[zoom0 c0.., zoom1 c0.., ...]`, each at `size`:
    /// multiple scales feeding one model.
    public func zoomStack(_ zooms: [Float], size: (width: Int, height: Int)? = nil) -> ImageBuffer {
        let w = size?.width ?? width, h = size?.height ?? height
        let levels = (zooms.isEmpty ? [1] : zooms).map { zoomed($0, size: (w, h)) }
        let total = channels * levels.count
        var out = [Pixel](repeating: .zero, count: w * h * total)
        for (k, level) in levels.enumerated() {
            for i in 0..<(w * h) {
                for c in 0..<channels { out[i * total + k * channels + c] = level.pixels[i * channels + c] }
            }
        }
        return ImageBuffer(unchecked: w, h, total, out)
    }

    /// Averages non-overlapping fx x fy blocks (edges use the pixels they have).
    func boxShrunk(fx: Int, fy: Int) -> ImageBuffer {
        let w = (width + fx - 1) / fx, h = (height + fy - 1) / fy
        var out = [Pixel](); out.reserveCapacity(w * h * channels)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<channels {
                    var sum: Float = 0, n: Float = 0
                    for yy in (y * fy)..<min((y + 1) * fy, height) {
                        for xx in (x * fx)..<min((x + 1) * fx, width) { sum += self[xx, yy, c].floatValue; n += 1 }
                    }
                    out.append(Pixel(clampingFloat: sum / max(n, 1)))
                }
            }
        }
        return ImageBuffer(unchecked: w, h, channels, out)
    }
}

extension ImageBuffer where Pixel == Float {
    /// Contrast scaled by `factor` about the image mean (1 leaves it unchanged), clamped to [0, 1].
    public func contrastAdjusted(_ factor: Float) -> ImageBuffer {
        let mean = pixels.reduce(0, +) / Float(max(pixels.count, 1))
        var out = self
        for i in out.pixels.indices { out.pixels[i] = min(max((pixels[i] - mean) * factor + mean, 0), 1) }
        return out
    }

    /// Brightness shifted by `delta`, clamped to [0, 1].
    public func brightnessAdjusted(_ delta: Float) -> ImageBuffer {
        var out = self
        for i in out.pixels.indices { out.pixels[i] = min(max(pixels[i] + delta, 0), 1) }
        return out
    }
}
