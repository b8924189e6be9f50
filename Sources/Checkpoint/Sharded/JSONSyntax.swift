import Foundation

/// A strict RFC 8259 syntax check with the byte offset of the first error. Foundation's parsers
/// are lenient (a trailing comma passes, `JSONDecoder` even takes a document cut short) and say
/// only "not valid JSON": a manifest that is not exactly JSON is named with where it breaks.
/// An object that names a key twice is an error too (which value would be meant?).
struct JSONSyntax {
    struct Problem: Error, Equatable, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "not valid JSON at byte \(offset): \(reason)" }
    }

    private let bytes: [UInt8]
    private var at = 0
    private static let maximumDepth = 256

    /// The first syntax error of `data`, or nil when it is one JSON value.
    static func problem(in data: Data) -> Problem? {
        var parser = JSONSyntax(bytes: Array(data))
        do {
            parser.skipSpace()
            try parser.value(depth: 0)
            parser.skipSpace()
            if parser.at < parser.bytes.count { throw parser.problem("text after the end of the document") }
            return nil
        } catch let problem as Problem {
            return problem
        } catch {
            return Problem(offset: parser.at, reason: "\(error)")
        }
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func problem(_ reason: String) -> Problem { Problem(offset: at, reason: reason) }

    private var next: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func skipSpace() {
        while let b = next, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { at += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard next == byte else { throw problem(next == nil ? "the document ends where \(what) should be" : "expected \(what)") }
        at += 1
    }

    private mutating func value(depth: Int) throws {
        guard depth < Self.maximumDepth else { throw problem("nested more than \(Self.maximumDepth) deep") }
        switch next {
        case nil: throw problem("the document ends where a value should be")
        case UInt8(ascii: "{"): try object(depth: depth)
        case UInt8(ascii: "["): try array(depth: depth)
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case let b? where b == UInt8(ascii: "-") || (0x30...0x39).contains(b): try number()
        default: throw problem("expected a value")
        }
    }

    private mutating func object(depth: Int) throws {
        at += 1
        skipSpace()
        if next == UInt8(ascii: "}") { at += 1; return }
        var keys = Set<[UInt8]>()
        while true {
            skipSpace()
            let start = at
            guard next == UInt8(ascii: "\"") else { throw problem(next == nil ? "the document ends inside an object" : "expected a key in quotes") }
            let key = try string()
            guard keys.insert(key).inserted else {
                throw Problem(offset: start, reason: "the key \(String(decoding: key, as: UTF8.self)) appears twice in one object")
            }
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' after a key")
            skipSpace()
            try value(depth: depth + 1)
            skipSpace()
            if next == UInt8(ascii: ",") { at += 1; continue }
            try expect(UInt8(ascii: "}"), "',' or '}' in an object")
            return
        }
    }

    private mutating func array(depth: Int) throws {
        at += 1
        skipSpace()
        if next == UInt8(ascii: "]") { at += 1; return }
        while true {
            skipSpace()
            try value(depth: depth + 1)
            skipSpace()
            if next == UInt8(ascii: ",") { at += 1; continue }
            try expect(UInt8(ascii: "]"), "',' or ']' in an array")
            return
        }
    }

    /// The raw bytes between the quotes (escapes left as written: enough to compare keys).
    private mutating func string() throws -> [UInt8] {
        at += 1
        let start = at
        while let b = next {
            switch b {
            case UInt8(ascii: "\""):
                defer { at += 1 }
                return Array(bytes[start..<at])
            case UInt8(ascii: "\\"):
                at += 1
                guard let e = next else { break }
                if e == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        at += 1
                        guard let h = next, (0x30...0x39).contains(h) || (0x41...0x46).contains(h) || (0x61...0x66).contains(h) else {
                            throw problem("\\u needs four hexadecimal digits")
                        }
                    }
                } else if !Array("\"\\/bfnrt".utf8).contains(e) {
                    throw problem("unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
                at += 1
            case 0..<0x20:
                throw problem("a control character inside a string")
            default:
                at += 1
            }
        }
        throw problem("the document ends inside a string")
    }

    private mutating func literal(_ word: String) throws {
        for expected in word.utf8 {
            guard next == expected else { throw problem("expected \(word)") }
            at += 1
        }
    }

    private mutating func number() throws {
        func digits(_ parser: inout JSONSyntax) -> Int {
            var n = 0
            while let b = parser.next, (0x30...0x39).contains(b) { parser.at += 1; n += 1 }
            return n
        }
        if next == UInt8(ascii: "-") { at += 1 }
        if next == UInt8(ascii: "0") {
            at += 1
        } else if digits(&self) == 0 {
            throw problem("expected a digit")
        }
        if next == UInt8(ascii: ".") {
            at += 1
            guard digits(&self) > 0 else { throw problem("expected a digit after the decimal point") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            at += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw problem("expected the exponent's digits") }
        }
    }
}
