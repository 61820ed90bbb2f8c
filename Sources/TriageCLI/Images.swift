import ArgumentParser
import Corpus
import Foundation
import Vision

/// `triage images ...`: read image files and import them into the corpus.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Read images (PNG, PGM/PPM, DICOM, .npy/.npz) and import them into the corpus.",
        subcommands: [ImportImages.self, Info.self]
    )

    /// `triage images import`: store images, their report links and labels in the corpus.
    struct ImportImages: ParsableCommand {
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
        var uncertain = "ignore"
        @Option(help: "Split of the image files: train, val or test (default: a parent folder named so, else none).")
        var split: String?
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
            guard UncertainPolicy(rawValue: uncertain) != nil else {
                throw ValidationError("--uncertain must be ones, zeros or ignore, not '\(uncertain)'.")
            }
            if let split, !["train", "val", "test"].contains(split) {
                throw ValidationError("--split must be train, val or test, not '\(split)'.")
            }
            if scheme != nil && observations.isEmpty {
                throw ValidationError("--scheme needs at least one --observation to copy (e.g. --observation Cardiomegaly).")
            }
            if scheme == nil && !observations.isEmpty {
                throw ValidationError("--observation needs the --scheme it belongs to (e.g. --scheme chexpert).")
            }
        }

        func run() throws {
            var options = ImageImportOptions()
            options.task = task
            options.scheme = scheme
            options.observations = observations.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                .filter { !$0.isEmpty }
            options.uncertain = UncertainPolicy(rawValue: uncertain) ?? .ignore
            options.split = split
            options.documentSource = source
            options.storePixels = storePixels
            if let map {
                do { options.studyMap = try StudyMap.read(path: map) } catch {
                    Console.error("\(error)")
                    throw ExitCode(2)
                }
            }
            let store = try corpus.open()
            let meter = ImagesProgress(label: "images import")
            let importer = ImageImporter(corpus: store, options: options,
                                         progress: { meter.update(done: $0.filesDone, total: $0.filesTotal, extra: "\($0.images) images") },
                                         onError: { Console.error($0) })
            let summary: ImageImportSummary
            do {
                summary = try importer.run(paths)
            } catch let error as ImageError {
                Console.error(error.description)
                throw ExitCode(2)
            }
            meter.finish()
            if json {
                try Console.printJSON(summary)
            } else {
                let splits = summary.splits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                print("imported \(summary.images) images (\(summary.inserted) new) from \(summary.files) files"
                      + (splits.isEmpty ? "" : " [\(splits)]"))
                print("labels written: \(summary.labels); linked to reports: \(summary.linked)"
                      + (summary.unmined > 0 ? "; linked reports without mined labels: \(summary.unmined)" : "")
                      + (summary.ignoredUncertain > 0 ? "; uncertain labels ignored: \(summary.ignoredUncertain)" : ""))
                if summary.bad > 0 { print("skipped \(summary.bad) unreadable files (see the errors above)") }
            }
            if summary.bad > 0 && !keepGoing { throw ExitCode(1) }
        }
    }

    /// `triage images info`: what the readers see in image files.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe image files: format, size, channels, bit depth and value range (arrays for .npz).")

        @Argument(help: ArgumentHelp("Image files (.png .pgm .ppm .dcm .npy .npz).", valueName: "file"))
        var files: [String]
        @Flag(help: "Print one JSON object per file.")
        var json = false

        struct Description: Encodable {
            var file: String
            var format: String
            var width: Int?, height: Int?, channels: Int?, bitDepth: Int?
            var min: Float?, max: Float?
            var arrays: [String: [Int]]?
            var transferSyntax: String?, windowCenter: Double?, windowWidth: Double?
            var rescaleSlope: Double?, rescaleIntercept: Double?, accessionNumber: String?, studyInstanceUID: String?
        }

        func run() throws {
            var bad = 0
            for file in files {
                do {
                    let d = try describe(file)
                    if json { try Console.printJSON(d); continue }
                    if let arrays = d.arrays {
                        print("\(file): npz, " + arrays.sorted { $0.key < $1.key }
                            .map { "\($0.key) \($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", "))
                    } else {
                        var line = "\(file): \(d.format) \(d.width ?? 0)x\(d.height ?? 0), \(d.channels ?? 0) channel(s), \(d.bitDepth ?? 0)-bit"
                        if let lo = d.min, let hi = d.max { line += ", values \(lo)...\(hi)" }
                        if let syntax = d.transferSyntax { line += ", transfer syntax \(syntax)" }
                        print(line)
                    }
                } catch {
                    Console.error("\(error)")
                    bad += 1
                }
            }
            if bad > 0 { throw ExitCode(1) }
        }

        func describe(_ file: String) throws -> Description {
            if file.lowercased().hasSuffix(".npz") {
                let npz = try NPZFile(path: file)
                var arrays: [String: [Int]] = [:]
                for key in npz.keys { arrays[key] = try npz.array(key).shape }
                return Description(file: file, format: "npz", arrays: arrays)
            }
            let data = try ImageFile.bytes(path: file)
            var d = Description(file: file, format: ImageFile.format(of: data)?.rawValue ?? "unknown")
            if ImageFile.format(of: data) == .dicom {
                let dicom = try DICOMImage.read(data, origin: file)
                d.transferSyntax = dicom.transferSyntax
                d.windowCenter = dicom.windowCenter
                d.windowWidth = dicom.windowWidth
                d.rescaleSlope = dicom.rescaleSlope
                d.rescaleIntercept = dicom.rescaleIntercept
                d.accessionNumber = dicom.accessionNumber
                d.studyInstanceUID = dicom.studyInstanceUID
                (d.width, d.height, d.channels, d.bitDepth) = (dicom.columns, dicom.rows, 1, dicom.bitsStored)
                (d.min, d.max) = (dicom.values.pixels.min(), dicom.values.pixels.max())
                return d
            }
            let image = try ImageFile.decode(data, origin: file)
            (d.width, d.height, d.channels, d.bitDepth) = (image.width, image.height, image.channels, image.bitDepth)
            let values: [Float]
            switch image {
            case .uint8(let i): values = i.floats().pixels
            case .uint16(let i): values = i.floats().pixels
            case .float(let i): values = i.pixels
            }
            (d.min, d.max) = (values.min(), values.max())
            return d
        }
    }
}

/// Progress on stderr at most every two seconds: done/total, rate and ETA.
final class ImagesProgress: @unchecked Sendable {
    let label: String
    let start = Date()
    var last = Date.distantPast
    var printed = false
    let lock = NSLock()

    init(label: String) { self.label = label }

    func update(done: Int, total: Int, extra: String = "") {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= 2 || done == total && printed else { return }
        last = now
        printed = true
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Double(total - done) / rate : 0
        Console.note(String(format: "%@: %d/%d files, %.1f files/s, ETA %.0fs%@", label, done, total, rate, eta,
                            extra.isEmpty ? "" : " (\(extra))"))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if printed {
            Console.note(String(format: "%@: done in %.1fs", label, Date().timeIntervalSince(start)))
        }
    }
}
