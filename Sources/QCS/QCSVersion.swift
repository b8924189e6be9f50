import Foundation

/// Which qcs this is: the release, and the commit of the source tree it was built from.
public enum QCSVersion {
    public static let release = "0.1.0"

    /// The commit the source tree this binary was built from has checked out now, read from its
    /// `.git` (nil when the tree is gone or is not a git clone). SwiftPM has no build-time hook
    /// for it, and a binary run next to its tree (the usual `swift build` case) finds it here.
    public static let sourceCommit: String? = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }  // Sources/QCS/QCSVersion.swift
        let git = root.appendingPathComponent(".git")
        func read(_ path: String) -> String? {
            (try? String(contentsOf: git.appendingPathComponent(path), encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let head = read("HEAD") else { return nil }
        guard head.hasPrefix("ref: ") else { return head }
        let ref = String(head.dropFirst(5))
        if let commit = read(ref) { return commit }
        // A ref git has packed: "<commit> <ref>" lines of packed-refs.
        return read("packed-refs")?.split(separator: "\n")
            .first { $0.hasSuffix(" " + ref) }.map { String($0.prefix(while: { $0 != " " })) }
    }()

    /// `0.1.0 (commit 1234abcd)`, or the release alone.
    public static var description: String {
        release + (sourceCommit.map { " (commit \($0.prefix(12)))" } ?? "")
    }
}
