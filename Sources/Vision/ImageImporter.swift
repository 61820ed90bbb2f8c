import Corpus
import Foundation
import Inputs

/// What to do with an uncertain (-1) mined label when it becomes an image label (CheXpert paper, Irvin et al. 2019).
public enum UncertainPolicy: String, Sendable, CaseIterable, Codable {
    /// U-Ones: uncertain counts as positive.
    case ones
    /// U-Zeros: uncertain counts as negative.
    case zeros
    /// U-Ignore: the image gets no label for that observation.
    case ignore
}

/// Options of `triage images import`.
public struct ImageImportOptions: Sendable {
    /// The task image labels are stored under; default: the `.npz` file's stem, else the scheme.
    public var task: String?
    /// The label scheme of the linked reports' mined labels (e.g. chexpert).
    public var scheme: String?
    /// The observations of that scheme to copy to images (e.g. "Cardiomegaly").
    public var observations: [String] = []
    /// How uncertain mined labels become image labels.
    public var uncertain: UncertainPolicy = .ignore
    /// The split of image files (train, val or test); default: a parent folder named so, else none.
    public var split: ImageSplit?
    /// Image file name (or stem, or path as given) to study id, from `--map`.
    public var studyMap: [String: String] = [:]
    /// Only link to documents from this source (the archive the reports came from).
    public var documentSource: String?
    /// Store the 8-bit pixels of image files in the corpus, not only their location.
    public var storePixels = false
    /// Images written per transaction for folders of files.
    public var batchSize = 256

    /// Default options.
    public init() {}
}

/// The counts `triage images import` reports.
public struct ImageImportSummary: Sendable, Codable, Equatable {
    /// Input files read (image files and `.npz` archives).
    public var files = 0
    /// Images written (new or updated).
    public var images = 0
    /// Of those, images new to the corpus.
    public var inserted = 0
    /// Image labels written.
    public var labels = 0
    /// Images linked to a report.
    public var linked = 0
    /// Images whose linked report had no mined labels of the scheme (left unlabelled).
    public var unmined = 0
    /// Uncertain mined labels dropped by `--uncertain ignore`.
    public var ignoredUncertain = 0
    /// Files that could not be read (skipped).
    public var bad = 0
    /// Why each bad file was skipped.
    public var errors: [String] = []
    /// Images per split ("none" for files without a split).
    public var splits: [String: Int] = [:]

    /// An empty summary.
    public init() {}
}

/// Reads image files and MedMNIST `.npz` archives into the corpus `image` and `imageLabel` tables.
///
/// Idempotent: an image is keyed by its location (the absolute file path, or
/// `path#split/index` for arrays), so importing again updates rows in place; the
/// labels this import covers are replaced, not duplicated. Each `.npz` is one
/// transaction, folders of files are written in batches; a bad file is skipped,
/// counted and named, and never leaves a partial write.
public final class ImageImporter {
    /// A progress report: files done of total, images written so far.
    public struct Progress: Sendable {
        public let filesDone: Int, filesTotal: Int, images: Int
    }

    let corpus: Corpus
    let options: ImageImportOptions
    let progress: (@Sendable (Progress) -> Void)?
    let onError: (@Sendable (String) -> Void)?
    var summary = ImageImportSummary()

    /// An importer writing into `corpus`; `progress` and `onError` are called as work proceeds.
    public init(corpus: Corpus, options: ImageImportOptions,
                progress: (@Sendable (Progress) -> Void)? = nil, onError: (@Sendable (String) -> Void)? = nil) {
        self.corpus = corpus
        self.options = options
        self.progress = progress
        self.onError = onError
    }

    /// Image files (and `.npz` archives) at `paths`: files as given, folders walked recursively in
    /// name order; and the symbolic links found in the folders, which are not followed.
    static func inputFiles(_ paths: [String]) throws -> (files: [String], links: [String]) {
        var out: [String] = [], links: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImageError(file: path, "no such file or folder")
            }
            if !isDirectory.boolValue { out.append(path); continue }
            // Symbolic links inside a folder are not followed: they may lead anywhere.
            let walked: (files: [String], links: [String])
            do { walked = try InputFile.walk(path) } catch let error as InputError { throw ImageError(file: path, error.reason) }
            for relative in walked.files {
                let ext = ((relative as NSString).pathExtension).lowercased()
                if ImageFile.extensions.contains(ext) || ext == "npz" { out.append((path as NSString).appendingPathComponent(relative)) }
            }
            links += walked.links.map { (path as NSString).appendingPathComponent($0) }
        }
        return (out, links)
    }

    /// Imports every image under `paths`; returns the counts (bad files are in `errors`, not thrown).
    public func run(_ paths: [String]) throws -> ImageImportSummary {
        if let scheme = options.scheme, options.observations.isEmpty {
            throw ImageError(file: "scheme \(scheme)", "name at least one observation to copy from the reports")
        }
        if options.scheme == nil, !options.observations.isEmpty {
            throw ImageError(file: "observations", "name the scheme the observations belong to")
        }
        let (files, links) = try ImageImporter.inputFiles(paths)
        for link in links { fail("\(link): is a symbolic link, not followed (a link in a folder may lead anywhere)") }
        var pending: [PendingImage] = []
        for (index, file) in files.enumerated() {
            let absolute = URL(fileURLWithPath: file).standardizedFileURL.path
            // Reading errors skip the file; corpus errors (disk full, locked) end the run.
            if absolute.lowercased().hasSuffix(".npz") {
                try flush(&pending)
                let sets: [LabelledImages]
                do {
                    sets = try readNPZ(path: absolute, shown: file)
                } catch {
                    fail(ImageImporter.describe(error, file: file))
                    continue
                }
                try writeNPZ(sets, path: absolute, shown: file)
                summary.files += 1
            } else {
                do {
                    pending.append(try readFile(path: absolute, shown: file))
                    summary.files += 1
                } catch {
                    fail(ImageImporter.describe(error, file: file))
                }
                if pending.count >= options.batchSize { try flush(&pending) }
            }
            progress?(Progress(filesDone: index + 1, filesTotal: files.count, images: summary.images + pending.count))
        }
        try flush(&pending)
        return summary
    }

    func fail(_ message: String) {
        summary.bad += 1
        summary.errors.append(message)
        onError?(message)
    }

    /// One decoded image file waiting to be written.
    struct PendingImage {
        let location: String
        let width: Int, height: Int, channels: Int
        let split: ImageSplit?
        let pixels: Data?
        let studyIds: [String]
    }

    func readFile(path: String, shown: String) throws -> PendingImage {
        let data = try ImageFile.bytes(path: path, shown: shown)
        var studyIds: [String] = []
        let name = (path as NSString).lastPathComponent
        let stem = (name as NSString).deletingPathExtension
        for key in [shown, path, name, stem] { if let id = options.studyMap[key] { studyIds.append(id) } }
        studyIds.append(stem)
        if let prefix = stem.split(separator: "_").first, prefix.count < stem.count { studyIds.append(String(prefix)) }
        let image: AnyImage
        if ImageFile.format(of: data) == .dicom {
            let dicom = try DICOMImage.read(data, origin: shown)
            if let accession = dicom.accessionNumber { studyIds.append(accession) }
            if let study = dicom.studyInstanceUID { studyIds.append(study) }
            image = .float(dicom.windowed())
        } else {
            image = try ImageFile.decode(data, origin: shown)
        }
        let bytes = options.storePixels ? Data(image.bytes().pixels) : nil
        return PendingImage(location: path, width: image.width, height: image.height, channels: image.channels,
                            split: options.split ?? ImageImporter.splitFromFolder(path), pixels: bytes, studyIds: studyIds)
    }

    /// train, val or test when a parent folder is named so (valid and validation count as val).
    static func splitFromFolder(_ path: String) -> ImageSplit? {
        for component in (path as NSString).pathComponents.dropLast().reversed() {
            switch component.lowercased() {
            case "train", "training": return .train
            case "val", "valid", "validation": return .val
            case "test", "testing": return .test
            default: continue
            }
        }
        return nil
    }

    /// Writes a batch of image files, their report links and report-derived labels, in one transaction.
    func flush(_ pending: inout [PendingImage]) throws {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        let task = options.task ?? options.scheme
        var local = summary
        try corpus.write { writer in
            let documentIds = try batch.map { try self.findDocument(writer, candidates: $0.studyIds) }
            let ids = try self.upsertImages(writer, zip(batch, documentIds).map { image, documentId in
                Image(location: image.location, width: image.width, height: image.height, channels: image.channels,
                      split: image.split, pixels: image.pixels, documentId: documentId)
            }, summary: &local)
            for (imageId, documentId) in zip(ids, documentIds) {
                guard let documentId else { continue }
                local.linked += 1
                if let scheme = self.options.scheme, let task {
                    try self.copyReportLabels(writer, imageId: imageId, documentId: documentId, scheme: scheme, task: task,
                                              summary: &local)
                }
            }
        }
        summary = local
    }

    /// The document of the first candidate study id that names exactly one (a report preferred), or nil.
    func findDocument(_ reader: Corpus.Reader, candidates: [String]) throws -> Int64? {
        for candidate in candidates where !candidate.isEmpty {
            let viaImage = try reader.documentsNaming(imageRef: candidate, source: options.documentSource)
            if viaImage.count == 1 { return viaImage[0] }
            let documents = try reader.documents(externalId: candidate, source: options.documentSource)
            if documents.count == 1 { return documents[0].id }
            let reports = documents.filter { $0.kind == .report }
            if reports.count == 1 { return reports[0].id }
        }
        return nil
    }

    /// Inserts or updates `images` (by location), counting them; returns their ids.
    func upsertImages(_ writer: Corpus.Writer, _ images: [Image], summary local: inout ImageImportSummary) throws -> [Int64] {
        let stored = try writer.upsert(images)
        for (image, (_, inserted)) in zip(images, stored) {
            local.images += 1
            local.splits[image.split?.rawValue ?? "none", default: 0] += 1
            if inserted { local.inserted += 1 }
        }
        return stored.map(\.id)
    }

    /// Copies the linked report's rule-mined labels of the chosen observations, applying the uncertain policy.
    /// An observation the mined report does not mention is negative (0), as in CheXpert training.
    func copyReportLabels(_ writer: Corpus.Writer, imageId: Int64, documentId: Int64, scheme: String, task: String,
                          summary local: inout ImageImportSummary) throws {
        let mined = try writer.labels(documentId: documentId, scheme: scheme, source: .rules)
        guard !mined.isEmpty else {
            local.unmined += 1
            return
        }
        var values: [String: LabelValue] = [:]
        for label in mined { values[label.observation] = label.value }
        for observation in options.observations {
            try writer.deleteImageLabel(imageId: imageId, task: task, observation: observation)
            var value = values[observation] ?? .negative
            if value == .uncertain {
                switch options.uncertain {
                case .ones: value = .positive
                case .zeros: value = .negative
                case .ignore:
                    local.ignoredUncertain += 1
                    continue
                }
            }
            try writer.upsert(ImageLabel(imageId: imageId, task: task, observation: observation, value: value))
            local.labels += 1
        }
    }

    /// A reading error as one line naming the file.
    static func describe(_ error: Error, file: String) -> String {
        if let error = error as? ImageError { return error.description }
        return "\(file): \(error.localizedDescription)"
    }

    /// Every split of a MedMNIST-style `.npz`, checked.
    func readNPZ(path: String, shown: String) throws -> [LabelledImages] {
        let npz = try NPZFile(data: try ImageFile.bytes(path: path, shown: shown), origin: shown)
        let splits = MedMNIST.splits(in: npz)
        guard !splits.isEmpty else {
            throw ImageError(file: shown, "no {train,val,test}_images with {split}_labels arrays (arrays: \(npz.keys.joined(separator: ", ")))")
        }
        return try splits.map { try MedMNIST.load(npz, split: $0) }
    }

    /// Writes the splits of one `.npz` in one transaction: pixels inline, class labels as observations "0", "1", ...
    func writeNPZ(_ sets: [LabelledImages], path: String, shown: String) throws {
        let multiLabel = sets.contains { $0.isMultiLabel }
        let classCount = multiLabel
            ? (sets.first { $0.isMultiLabel }?.labels.first?.count ?? 1)
            : max(2, (sets.flatMap { $0.labels.map { $0[0] } }.max() ?? 0) + 1)
        let task = options.task ?? ((shown as NSString).lastPathComponent as NSString).deletingPathExtension
        let observations = (0..<classCount).map(String.init)
        var local = summary
        try corpus.write { writer in
            for set in sets {
                let split = ImageSplit(rawValue: set.split)
                let images = set.images.enumerated().map { index, image in
                    Image(location: "\(path)#\(set.split)/\(index)", width: image.width, height: image.height,
                          channels: image.channels, split: split, pixels: Data(image.pixels))
                }
                let ids = try self.upsertImages(writer, images, summary: &local)
                var labels: [ImageLabel] = []
                labels.reserveCapacity(ids.count * observations.count)
                for (index, imageId) in ids.enumerated() {
                    let label = set.labels[index]
                    for (k, observation) in observations.enumerated() {
                        let positive = multiLabel ? label[k] == 1 : label[0] == k
                        labels.append(ImageLabel(imageId: imageId, task: task, observation: observation, value: positive ? .positive : .negative))
                    }
                }
                try writer.upsert(labels)
                local.labels += labels.count
            }
        }
        summary = local
    }
}
