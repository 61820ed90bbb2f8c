import ArgumentParser
import Corpus
import TriageKit
import Vision

extension Images {
    /// `triage images import`: store images, their report links and labels in the corpus.
    struct ImportImages: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import image files, folders or MedMNIST .npz files into the corpus.",
            discussion: """
            Each image is stored once by location (the absolute path, or path#split/index for \
            .npz arrays): importing again updates it in place. A .npz gives pixels (stored inline) \
            and labels: task = --task or the file's stem, observations "0", "1", ... = class indices \
            (value 1 for the image's class, 0 for the others; 0/1 per column for multi-label files).

            Image files are linked to a report when their study id names a document: the --map \
            entry, else the file stem, an Open-i image id the report lists, the stem before its \
            first "_", or a DICOM file's Accession Number / Study Instance UID. With --scheme and \
            --observation, the linked report's rule-mined labels become image labels (task = --task \
            or the scheme): 1 and 0 copied, -1 by --uncertain (ones: 1, zeros: 0, ignore: no label, \
            as in the CheXpert paper), not mentioned = 0. Reports not mined yet give no label.

            Unreadable files are skipped, named and counted; the exit code is 1 if any were, \
            unless --keep-going.
            """)

        @OptionGroup var corpus: CorpusOptions
        @Argument(help: ArgumentHelp("Image files (.png .pgm .ppm .dcm .npy), folders (walked recursively) or .npz files.",
                                     valueName: "file-or-folder"))
        var paths: [String]
        @Option(help: "Task name the image labels are stored under (default: the .npz stem, else --scheme).")
        var task: String?
        @Option(help: "Label scheme of the linked reports' mined labels (e.g. chexpert).")
        var scheme: String?
        @Option(name: .customLong("observation"),
                help: "An observation of --scheme to copy to the images (repeat, or separate with commas).")
        var observations: [String] = []
        @Option(help: "Uncertain mined labels: ones, zeros or ignore.")
        var uncertain: UncertainPolicy = .ignore
        @Option(help: "Split of the image files (default: a parent folder named so, else none).")
        var split: ImageSplit?
        @Option(help: ArgumentHelp("CSV of image,study: file name, stem or path of an image, and its report's study id.",
                                   valueName: "csv"))
        var map: String?
        @Option(help: "Link only to documents imported from this source.")
        var source: String?
        @Flag(help: "Store the 8-bit pixels of image files in the corpus too (.npz pixels are always stored).")
        var storePixels = false
        @Flag(help: "Exit 0 even if some files could not be read.")
        var keepGoing = false
        @Flag(help: "Print one JSON object with the counts.")
        var json = false

        func validate() throws {
            if scheme != nil && observations.isEmpty {
                throw ValidationError("--scheme needs at least one --observation to copy (e.g. --observation Cardiomegaly).")
            }
            if scheme == nil && !observations.isEmpty {
                throw ValidationError("--observation needs the --scheme it belongs to (e.g. --scheme chexpert).")
            }
        }

        func execute() throws {
            var options = ImagesImportOptions(paths: paths)
            options.task = task
            options.scheme = scheme
            options.observations = observations
            options.uncertain = uncertain
            options.split = split
            options.map = map
            options.documentSource = source
            options.storePixels = storePixels
            let summary = try corpus.workspace.importImages(options, context: Console.shared.context())
            try Console.shared.print(summary, json: json)
            if summary.bad > 0 && !keepGoing { throw ExitCode(1) }
        }
    }
}
