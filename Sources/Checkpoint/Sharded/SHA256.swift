import CCrypto

/// SHA-256 of a byte stream, fed in pieces: the checksum a manifest records for each shard.
/// OpenSSL's libcrypto computes it (with the CPU's SHA extensions where there are any: ~0.8 GB/s
/// on one core of the benchmark machine, 5.6x coreutils' `sha256sum`), because a checkpoint is
/// hashed once when written and once more before every resume.
public struct SHA256 {
    private let context: Context

    /// The EVP context, freed with the hash (a class, so copies of the struct share it).
    private final class Context {
        let pointer: OpaquePointer
        init() {
            pointer = EVP_MD_CTX_new()
            EVP_DigestInit_ex(pointer, EVP_sha256(), nil)
        }
        deinit { EVP_MD_CTX_free(pointer) }
    }

    public init() { context = Context() }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context.pointer, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The digest as 64 lowercase hex digits; the hash is finished after it.
    public mutating func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context.pointer, &digest, &length)
        return Self.hexString(digest.prefix(Int(length)))
    }

    /// The digest of `bytes`, as `hexDigest()` gives it.
    public static func hex(_ bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(bytes)
        return hash.hexDigest()
    }

    private static func hexString(_ bytes: ArraySlice<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
