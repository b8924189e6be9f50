/// The encoded image formats the pipeline reads and writes.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    case jpeg
    case png

    /// The format whose signature starts `bytes`, or nil. Data sets mislabel extensions (PNGs saved
    /// as .jpg are common in scraped sets), so the bytes decide, never the file name.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.starts(with: jpegSignature) { return .jpeg }
        if bytes.starts(with: pngSignature) { return .png }
        return nil
    }

    /// Start of image marker followed by the first marker's 0xFF.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}
