import ArgumentParser
import TriageKit
import Vision

extension Images {
    /// `triage images info`: what the readers see in image files.
    struct Info: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe image files: format, size, channels, bit depth and value range (arrays for .npz).")

        @Argument(help: ArgumentHelp("Image files (.png .pgm .ppm .dcm .npy .npz).", valueName: "file"))
        var files: [String]
        @Flag(help: "Print one JSON object per file.")
        var json = false

        func execute() throws {
            let bad = try Workspace().describeImages(files, context: Console.shared.context()) { description in
                try Console.shared.print(description, json: json)
            }
            if bad > 0 { throw ExitCode(1) }
        }
    }
}
