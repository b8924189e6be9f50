import Foundation

@_silgen_name("swift_demangle")
private func swiftDemangle(_ name: UnsafePointer<CChar>?, _ length: UInt, _ output: UnsafeMutablePointer<CChar>?,
                           _ outputSize: UnsafeMutablePointer<UInt>?, _ flags: UInt32) -> UnsafeMutablePointer<CChar>?

/// Where the code that made a collective is: the first function on the current stack outside
/// the communicator layer, by name. Read only when `CheckedCommunicator` has found a mismatch, so
/// it costs nothing otherwise. Names need the executable's symbols exported (`qcs` links with
/// --export-dynamic; without them it is nil). A release build exports public functions only and
/// inlines many, so there it names the nearest public function on the stack (`TrainingRun.run()`
/// for a collective made in the training loop); a debug build names the very caller.
enum CallSite {
    static func caller() -> String? {
        for frame in Thread.callStackSymbols.dropFirst() {
            guard let name = demangledFunction(frame) else { continue }
            // The communicator layer itself: this file, the checker, `Communicator`'s helpers.
            let function = core(name)
            if Self.layer.contains(where: function.hasPrefix) { continue }
            return shortened(function)
        }
        return nil
    }

    /// Where the communicator layer's own frames come from.
    private static let layer = ["Distributed.CheckedCommunicator", "Distributed.Communicator.", "Distributed.CallSite",
                                "Foundation."]

    /// The function of one `backtrace_symbols` line (`/path/qcs($sMANGLED+0x2e) [0x…]`), demangled.
    private static func demangledFunction(_ frame: String) -> String? {
        guard let open = frame.firstIndex(of: "("), let plus = frame[open...].firstIndex(of: "+"),
              frame.index(after: open) < plus else { return nil }
        let mangled = String(frame[frame.index(after: open)..<plus])
        guard mangled.hasPrefix("$s"), let text = swiftDemangle(mangled, UInt(mangled.utf8.count), nil, nil, 0) else {
            return nil
        }
        defer { free(text) }
        return String(cString: text)
    }

    /// The function a demangled name is about, without what the compiler made of it
    /// (`generic specialization <…> of`, `(extension in M):`, `closure #1 in`, `merged`).
    static func core(_ name: String) -> String {
        var text = Substring(name)
        var changed = true
        while changed {
            changed = false
            for prefix in ["merged ", "partial apply for ", "protocol witness for ", "static "]
            where text.hasPrefix(prefix) {
                text = text.dropFirst(prefix.count)
                changed = true
            }
            if text.hasPrefix("generic specialization <") || text.hasPrefix("<") || text.hasPrefix("(extension in ")
                || text.hasPrefix("closure #") {
                let marker = text.hasPrefix("(extension in ") ? "):" : text.hasPrefix("closure #") ? " in " : "> of "
                guard let end = text.range(of: marker) else { break }
                text = text[end.upperBound...]
                changed = true
            }
        }
        return String(text)
    }

    /// `Trainer.TestFault.inject(step: Swift.Int, over: …) throws -> ()` → `Trainer.TestFault.inject(step:over:)`.
    static func shortened(_ name: String) -> String {
        var text = name
        if let arrow = text.range(of: " -> ") { text = String(text[..<arrow.lowerBound]) }
        for suffix in [" async throws", " throws", " async"] where text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        // The last parenthesised list is the parameters: keep their labels only.
        guard text.hasSuffix(")"), let open = Self.parameterListStart(text) else { return text }
        let parameters = text[text.index(after: open)..<text.index(before: text.endIndex)]
        var labels = ""
        var depth = 0, label = "", inLabel = true
        for c in parameters {
            switch c {
            case "(", "<", "[": depth += 1
            case ")", ">", "]": depth -= 1
            case ":" where depth == 0 && inLabel: labels += label.trimmingCharacters(in: .whitespaces) + ":"; inLabel = false
            case "," where depth == 0: label = ""; inLabel = true; continue
            default: break
            }
            if inLabel { label.append(c) }
        }
        return String(text[...open]) + labels + ")"
    }

    private static func parameterListStart(_ text: String) -> String.Index? {
        var depth = 0
        var i = text.index(before: text.endIndex)
        while true {
            switch text[i] {
            case ")": depth += 1
            case "(":
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
            guard i > text.startIndex else { return nil }
            i = text.index(before: i)
        }
    }
}
