import Foundation
import PackagePlugin

/// Stamps the commit the package is built from into the BuildInfo target: before every build a
/// shell line asks git for HEAD (and whether tracked files changed) and writes `stampedCommit`
/// into a generated source file, rewriting it only when the commit changed, so an unchanged tree
/// rebuilds nothing.
@main
struct BuildStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let folder = context.pluginWorkDirectoryURL.appending(path: "Stamp")
        let script = #"""
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse HEAD 2>/dev/null) || commit=""
            if [ -n "$commit" ] && [ -n "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
              commit="$commit-modified"
            fi
            if [ -n "$commit" ]; then value="\"$commit\""; else value=nil; fi
            printf '/// Written by the BuildStamp plugin at build time.\nlet stampedCommit: String? = %s\n' "$value" > "$2/BuildStamp.swift.new"
            if cmp -s "$2/BuildStamp.swift.new" "$2/BuildStamp.swift"; then rm "$2/BuildStamp.swift.new"
            else mv "$2/BuildStamp.swift.new" "$2/BuildStamp.swift"; fi
            """#
        return [.prebuildCommand(displayName: "Stamping the source commit into BuildInfo",
                                 executable: URL(fileURLWithPath: "/bin/sh"),
                                 arguments: ["-c", script, "stamp", context.package.directoryURL.path, folder.path],
                                 outputFilesDirectory: folder)]
    }
}
