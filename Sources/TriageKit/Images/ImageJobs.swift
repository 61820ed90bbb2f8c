import Corpus
import Foundation
import Vision

/// Options of `images import`.
public struct ImagesImportOptions: Codable, Sendable {
    /// Image files, folders (walked recursively) or MedMNIST `.npz` files.
    public var paths: [String]
    /// The task image labels are stored under (default: the `.npz` stem, else the scheme).
    public var task: String?
    /// The scheme of the linked reports' mined labels.
    public var scheme: String?
    /// The observations of that scheme to copy to the images.
    public var observations: [String] = []
    /// How uncertain mined labels become image labels.
    public var uncertain: UncertainPolicy = .ignore
    /// The split of the image files (default: a parent folder named so, else none).
    public var split: ImageSplit?
    /// A CSV of `image,study`: an image's file name, stem or path and its report's study id.
    public var map: String?
    /// Link only to documents imported from this source.
    public var documentSource: String?
    /// Store the 8-bit pixels of image files in the corpus too (`.npz` pixels always are).
    public var storePixels = false

    /// Options importing `paths`.
    public init(paths: [String]) { self.paths = paths }
}

extension ImageImportSummary: TextReport {
    /// Counts of images, splits, labels and links.
    public var text: String {
        let list = splits.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var out = "imported \(images) images (\(inserted) new) from \(files) files" + (list.isEmpty ? "" : " [\(list)]") + "\n"
        out += "labels written: \(labels); linked to reports: \(linked)"
            + (unmined > 0 ? "; linked reports without mined labels: \(unmined)" : "")
            + (ignoredUncertain > 0 ? "; uncertain labels ignored: \(ignoredUncertain)" : "") + "\n"
        if bad > 0 { out += "skipped \(bad) unreadable files (see the warnings above)\n" }
        return out
    }
}

extension ImageDescription: TextReport {
    /// One line: format, size, channels, depth, value range (or the arrays of an `.npz`).
    public var text: String {
        if let arrays {
            return "\(file): npz, " + arrays.sorted { $0.key < $1.key }
                .map { "\($0.key) \($0.value.map(String.init).joined(separator: "x"))" }.joined(separator: ", ") + "\n"
        }
        var line = "\(file): \(format) \(width ?? 0)x\(height ?? 0), \(channels ?? 0) channel(s), \(bitDepth ?? 0)-bit"
        if let lo = min, let hi = max { line += ", values \(lo)...\(hi)" }
        if let frames, frames > 1 { line += ", \(frames) frames" }
        if let photometric { line += ", \(photometric)" }
        if let syntax = transferSyntax { line += ", transfer syntax \(syntax)" }
        return line + "\n"
    }
}

extension Workspace {
    /// Imports image files, folders or `.npz` files into the corpus, linked to their reports and
    /// labelled from them; unreadable files are named in warnings, skipped and counted (`bad`).
    public func importImages(_ options: ImagesImportOptions, context: JobContext = .silent) throws -> ImageImportSummary {
        if options.scheme != nil && options.observations.isEmpty {
            throw TriageError(.unusable, "a scheme needs at least one observation to copy (e.g. Cardiomegaly)")
        }
        if options.scheme == nil && !options.observations.isEmpty {
            throw TriageError(.unusable, "observations need the scheme they belong to (e.g. chexpert)")
        }
        var importOptions = ImageImportOptions()
        importOptions.task = options.task
        importOptions.scheme = options.scheme
        importOptions.observations = options.observations.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        importOptions.uncertain = options.uncertain
        importOptions.split = options.split
        importOptions.documentSource = options.documentSource
        importOptions.storePixels = options.storePixels
        if let map = options.map {
            do { importOptions.studyMap = try StudyMap.read(path: map) } catch { throw TriageError(error) }
        }
        let store = try corpus()
        let meter = ProgressMeter(context, stage: "images import", unit: "files")
        let importer = ImageImporter(corpus: store, options: importOptions,
                                     progress: { meter.update(done: $0.filesDone, total: $0.filesTotal) },
                                     onError: { context.warn($0) })
        let summary: ImageImportSummary
        do { summary = try importer.run(options.paths) } catch { throw TriageError(error) }
        meter.finish(done: summary.files + summary.bad, total: nil)
        return summary
    }

    /// Describes image files; `emit` receives each description, and each file that cannot be read
    /// is named in a warning. Returns how many could not be read.
    public func describeImages(_ files: [String], context: JobContext = .silent,
                               emit: (ImageDescription) throws -> Void) rethrows -> Int {
        var bad = 0
        for file in files {
            do {
                let description = try ImageDescription.of(file)
                for warning in description.warnings ?? [] { context.warn(warning) }
                try emit(description)
            } catch let error as ImageError {
                context.warn("\(error)")
                bad += 1
            } catch {
                context.warn("\(file): \(error)")
                bad += 1
            }
        }
        return bad
    }
}
