import Foundation

/// A shard file open for reading by offset (`pread`), into buffers the reader keeps: reading a
/// 4 MiB frame into a fresh `Data` each time costs a thousand new pages, more than decoding it.
final class ShardFile {
    let path: String
    private let fd: Int32

    init(_ path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CheckpointError.io(file: path, reason: "cannot open for reading: \(String(cString: strerror(errno))) (does it exist?)")
        }
    }

    deinit { close(fd) }

    /// Reads up to `into.count` bytes at `offset`; fewer only at the end of the file. `what` names
    /// the piece in errors ("frame 3").
    func read(at offset: Int, into: UnsafeMutableRawBufferPointer, what: String) throws -> Int {
        var done = 0
        while done < into.count {
            let got = pread(fd, into.baseAddress! + done, into.count - done, off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else {
                throw CheckpointError.io(file: path, reason: "cannot read \(what): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Calls `body` with the whole file in consecutive pieces of at most `pieceBytes`, through one buffer.
    func withPieces(of pieceBytes: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceBytes, alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        while true {
            let got = try read(at: offset, into: buffer, what: "bytes at \(offset)")
            if got == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<got]))
            offset += got
        }
    }
}
