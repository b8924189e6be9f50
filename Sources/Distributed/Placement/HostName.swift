import Foundation

/// This machine's host name as the kernel has it (a test host's own, in its UTS namespace): what
/// qcs records and compares to tell nodes apart.
public enum HostName {
    public static var current: String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count - 1)
        return String(cString: name)
    }
}
