import Foundation

/// Finds a folder of the project (`corpora/rules`, `corpora/deid`): the one given, else the
/// environment variable's, else `relative` in the working directory or up to 8 folders above it,
/// next to the executable, or beside the source file that asks (a build run from its checkout).
public enum ProjectFolder {
    /// The folder, or nil. `marker` is a file the folder must hold (nil: any folder of that name).
    public static func find(_ relative: String, marker: String? = nil, explicit: String?, environmentVariable: String,
                            sourceFile: String = #filePath) -> String? {
        let fm = FileManager.default
        if let explicit, !explicit.isEmpty { return explicit }
        if let env = ProcessInfo.processInfo.environment[environmentVariable], !env.isEmpty { return env }
        var starts = [fm.currentDirectoryPath]
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path { starts.append(exe) }
        starts.append(URL(fileURLWithPath: sourceFile).deletingLastPathComponent().path)
        for start in starts {
            var dir = URL(fileURLWithPath: start)
            for _ in 0..<8 {
                let candidate = dir.appendingPathComponent(relative).path
                var isDir: ObjCBool = false
                if let marker {
                    if fm.fileExists(atPath: (candidate as NSString).appendingPathComponent(marker)) { return candidate }
                } else if fm.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue {
                    return candidate
                }
                dir = dir.deletingLastPathComponent()
            }
        }
        return nil
    }
}
