import Imaging
import DataPipeline

/// Binary PPM (P6): the trivial image encoder the tests write with, so they need no codec.
enum PPM {
    static func encode(_ image: RGBImage) -> [UInt8] {
        Array("P6\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    /// Parses what `encode` writes (and nothing fancier); nil on anything else.
    static func decode(_ bytes: [UInt8]) -> RGBImage? {
        var fields: [String] = [], current = "", i = 0
        while fields.count < 4 && i < bytes.count {
            let c = bytes[i]
            if c == 0x20 || c == 0x0A {
                if !current.isEmpty { fields.append(current); current = "" }
            } else {
                current.append(Character(UnicodeScalar(c)))
            }
            i += 1
        }
        guard fields.count == 4, fields[0] == "P6", let w = Int(fields[1]), let h = Int(fields[2]), fields[3] == "255",
              bytes.count - i == w * h * 3 else { return nil }
        return RGBImage(width: w, height: h, pixels: Array(bytes[i...]))
    }
}
