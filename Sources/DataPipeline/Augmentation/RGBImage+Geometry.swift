import Imaging
import Foundation

/// Flips, crops and rotation on 8-bit images, with torchvision's (PIL back end) conventions.
extension RGBImage {
    /// Mirrored left to right (`RandomHorizontalFlip` when it fires).
    public func flippedHorizontally() -> RGBImage {
        var out = pixels
        for y in 0..<height {
            for x in 0..<width {
                let s = index(x: width - 1 - x, y: y), d = index(x: x, y: y)
                out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The `width`x`height` window whose top-left pixel is (`x`, `y`). The window must lie inside
    /// the image: recipes check their crop sizes against their resize sizes when they are built.
    public func cropped(x: Int, y: Int, width w: Int, height h: Int) -> RGBImage {
        precondition(x >= 0 && y >= 0 && w >= 0 && h >= 0 && x + w <= width && y + h <= height,
                     "crop \(w)x\(h)+\(x)+\(y) outside a \(width)x\(height) image")
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for row in 0..<h {
            let s = index(x: x, y: y + row)
            out.replaceSubrange(row * w * 3..<(row + 1) * w * 3, with: pixels[s..<s + w * 3])
        }
        return RGBImage(width: w, height: h, pixels: out)
    }

    /// torchvision's `center_crop`: the offsets are `round((size − crop) / 2)` with Python's
    /// round-half-to-even, so with an odd margin the offset is whichever neighbour is even.
    /// Reproduced exactly because a one-pixel shift changes every value.
    public func centerCropped(width w: Int, height h: Int) -> RGBImage {
        let top = Int((Double(height - h) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(width - w) / 2).rounded(.toNearestOrEven))
        return cropped(x: left, y: top, width: w, height: h)
    }

    /// Rotated counter-clockwise by `degrees` about the image centre, nearest neighbour, same
    /// size, uncovered pixels black: `PIL.Image.rotate(angle, NEAREST, expand=False, fillcolor=0)`
    /// as torchvision's `RandomRotation` calls it.
    ///
    /// Pillow maps each output pixel centre back through the inverse rotation, in 16.16 fixed
    /// point, and truncates; multiples of 90° (square images) and 180° are exact transposes.
    /// The same arithmetic is used here so pixels on the rounding boundary agree.
    public func rotated(degrees: Double) -> RGBImage {
        var angle = degrees.truncatingRemainder(dividingBy: 360)
        if angle < 0 { angle += 360 }  // Python's % is non-negative for a positive divisor
        if angle == 0 { return self }
        if angle == 180 { return transposed(.rotate180) }
        if (angle == 90 || angle == 270) && width == height {
            return transposed(angle == 90 ? .rotate90 : .rotate270)
        }
        let radians = -angle * Double.pi / 180
        // Pillow rounds the matrix to 15 decimals so that e.g. cos(90°) becomes exactly 0.
        func round15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        let a = round15(cos(radians)), b = round15(sin(radians))
        let d = round15(-sin(radians)), e = round15(cos(radians))
        let cx = Double(width) / 2, cy = Double(height) / 2
        let c = a * -cx + b * -cy + cx
        let f = d * -cx + e * -cy + cy
        return affineNearest([a, b, c, d, e, f])
    }

    // MARK: - Private

    private enum Transpose { case rotate90, rotate180, rotate270 }

    private func transposed(_ kind: Transpose) -> RGBImage {
        let outW = kind == .rotate180 ? width : height
        let outH = kind == .rotate180 ? height : width
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<outH {
            for x in 0..<outW {
                let s: Int
                switch kind {
                case .rotate90: s = index(x: width - 1 - y, y: x)
                case .rotate180: s = index(x: width - 1 - x, y: height - 1 - y)
                case .rotate270: s = index(x: y, y: height - 1 - x)
                }
                let o = (y * outW + x) * 3
                out[o] = pixels[s]; out[o + 1] = pixels[s + 1]; out[o + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }

    /// Output pixel (x, y) takes the input pixel at matrix · (x + ½, y + ½), truncated; outside → 0.
    private func affineNearest(_ m: [Double]) -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        func fitsFixedPoint(_ x: Double, _ y: Double) -> Bool {
            abs(x * m[0] + y * m[1] + m[2]) < 32768 && abs(x * m[3] + y * m[4] + m[5]) < 32768
        }
        let w = Double(width), h = Double(height)
        let fixed = fitsFixedPoint(0, 0) && fitsFixedPoint(w, h) && fitsFixedPoint(0, h) && fitsFixedPoint(w, 0)
        func copy(_ xin: Int, _ yin: Int, to o: Int) {
            guard xin >= 0, xin < width, yin >= 0, yin < height else { return }
            let s = index(x: xin, y: yin)
            out[o] = pixels[s]; out[o + 1] = pixels[s + 1]; out[o + 2] = pixels[s + 2]
        }
        if fixed {
            func fix(_ v: Double) -> Int { Int((v * 65536 + 0.5).rounded(.down)) }
            let a0 = fix(m[0]), a1 = fix(m[1]), a3 = fix(m[3]), a4 = fix(m[4])
            var rowX = fix(m[2] + m[0] * 0.5 + m[1] * 0.5)
            var rowY = fix(m[5] + m[3] * 0.5 + m[4] * 0.5)
            for y in 0..<height {
                var xx = rowX, yy = rowY
                for x in 0..<width {
                    copy(xx >> 16, yy >> 16, to: (y * width + x) * 3)
                    xx += a0; yy += a3
                }
                rowX += a1; rowY += a4
            }
        } else {
            func coord(_ v: Double) -> Int { v < 0 ? -1 : Int(v) }
            var rowX = m[2] + m[1] * 0.5 + m[0] * 0.5
            var rowY = m[5] + m[4] * 0.5 + m[3] * 0.5
            for y in 0..<height {
                var xx = rowX, yy = rowY
                for x in 0..<width {
                    copy(coord(xx), coord(yy), to: (y * width + x) * 3)
                    xx += m[0]; yy += m[3]
                }
                rowX += m[1]; rowY += m[4]
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
