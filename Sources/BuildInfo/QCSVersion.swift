/// Which qcs this is: the release, and the commit of the source tree it was built from, stamped
/// into the binary at build time by the BuildStamp plugin (`stampedCommit`), so a binary copied
/// to a cluster node still knows it.
public enum QCSVersion {
    public static let release = "0.1.0"

    /// The commit, with `-modified` when the tree had uncommitted changes; nil when the tree was
    /// not a git clone.
    public static let sourceCommit: String? = stampedCommit

    /// `0.1.0 (commit 1234abcd)`, or the release alone.
    public static var description: String {
        release + (sourceCommit.map { " (commit \($0.prefix(12))\($0.hasSuffix("-modified") ? ", modified" : ""))" } ?? "")
    }
}
