import Corpus
import Foundation

/// One labelled image of a task, as the corpus holds it.
public struct TaskImage: Sendable {
    /// The image row id.
    public var id: Int64
    /// Its location (file path, or `file#split/index` for arrays).
    public var location: String
    /// train, val, test or nil.
    public var split: ImageSplit?
    /// The pixels.
    public var image: AnyImage
    /// One value per task observation (in `ImageTaskData.observations` order): 1, 0, or nil when missing.
    public var labels: [Int?]

    /// A labelled image.
    public init(id: Int64, location: String, split: ImageSplit?, image: AnyImage, labels: [Int?]) {
        self.id = id
        self.location = location
        self.split = split
        self.image = image
        self.labels = labels
    }
}

/// The images and labels of one task in the corpus (written by `triage images import`).
public struct ImageTaskData: Sendable {
    /// The task name.
    public var task: String
    /// The task's observations, numerically sorted when they are class indices ("0", "1", ...).
    public var observations: [String]
    /// The labelled images, in image id order.
    public var images: [TaskImage]
    /// Images whose pixels could not be read (location and why).
    public var unreadable: [String]

    /// A task's data from its parts.
    public init(task: String, observations: [String], images: [TaskImage], unreadable: [String] = []) {
        self.task = task
        self.observations = observations
        self.images = images
        self.unreadable = unreadable
    }

    /// True when every image has exactly one positive observation: one class per image.
    public var isMultiClass: Bool {
        observations.count >= 2 && images.allSatisfy { image in
            image.labels.allSatisfy { $0 != nil } && image.labels.reduce(0) { $0 + ($1 ?? 0) } == 1
        }
    }

    /// The tasks the corpus has image labels for, with their labelled image counts.
    public static func tasks(in corpus: Corpus) throws -> [(task: String, images: Int)] {
        try corpus.read { try $0.imageTasks() }
    }

    /// Loads every labelled image of `task`: inline pixels, else the file at its location (arrays re-read
    /// from their `.npz`). Images that cannot be read are listed in `unreadable`, not thrown.
    public static func load(corpus: Corpus, task: String) throws -> ImageTaskData {
        let (rows, labels) = try corpus.read { reader in (try reader.images(task: task), try reader.imageLabels(task: task)) }
        guard !rows.isEmpty else {
            let known = try tasks(in: corpus).map(\.task)
            throw ImageError(file: corpus.path, "no images are labelled for task '\(task)'"
                             + (known.isEmpty ? " (import some with `triage images import`)" : " (tasks: \(known.joined(separator: ", ")))"))
        }
        var observations = Array(Set(labels.map(\.observation)))
        if observations.allSatisfy({ Int($0) != nil }) {
            observations.sort { Int($0) ?? 0 < Int($1) ?? 0 }
        } else {
            observations.sort()
        }
        let column = Dictionary(uniqueKeysWithValues: observations.enumerated().map { ($1, $0) })
        var byImage: [Int64: [Int?]] = [:]
        for label in labels {
            guard let k = column[label.observation] else { continue }
            var row = byImage[label.imageId] ?? [Int?](repeating: nil, count: observations.count)
            // -1 left in the table (imported without a policy) counts as missing.
            row[k] = label.value == .uncertain ? nil : label.value.rawValue
            byImage[label.imageId] = row
        }
        var out = ImageTaskData(task: task, observations: observations, images: [], unreadable: [])
        var arrays = ArrayCache()
        for row in rows {
            do {
                let image: AnyImage
                if let pixels = row.pixels,
                   let buffer = ImageBuffer<UInt8>(width: row.width, height: row.height, channels: row.channels, pixels: [UInt8](pixels)) {
                    image = .uint8(buffer)
                } else if let hash = row.location.lastIndex(of: "#") {
                    image = try arrays.image(at: row.location, hash: hash)
                } else {
                    image = try ImageFile.read(path: row.location)
                }
                guard let id = row.id else { continue }
                out.images.append(TaskImage(id: id, location: row.location, split: row.split, image: image,
                                            labels: byImage[id] ?? []))
            } catch {
                out.unreadable.append("\(error)")
            }
        }
        return out
    }

    /// Re-reads `file#split/index` images from their `.npz`, one load per split.
    struct ArrayCache {
        var sets: [String: LabelledImages] = [:]

        mutating func image(at location: String, hash: String.Index) throws -> AnyImage {
            let file = String(location[..<hash])
            let rest = location[location.index(after: hash)...].split(separator: "/")
            guard rest.count == 2, let index = Int(rest[1]) else {
                throw ImageError(file: location, "an array location must be file#split/index")
            }
            let key = file + "#" + rest[0]
            if sets[key] == nil { sets[key] = try MedMNIST.load(try NPZFile(path: file), split: String(rest[0])) }
            guard let set = sets[key], index >= 0, index < set.images.count else {
                throw ImageError(file: location, "index \(index) is outside the \(rest[0]) split")
            }
            return .uint8(set.images[index])
        }
    }
}
