import Foundation
import GRDB

/// An image: where its pixels are, its size and split, and the report of its study (table `image`).
public struct Image: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    /// The file path, or `file#split/index` for arrays; unique.
    public var location: String
    public var width: Int
    public var height: Int
    public var channels: Int
    public var split: ImageSplit?
    /// Raw 8-bit pixels when stored inline.
    public var pixels: Data?
    /// The study's report, when known.
    public var documentId: Int64?

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let location = Column(CodingKeys.location)
        public static let split = Column(CodingKeys.split)
        public static let documentId = Column(CodingKeys.documentId)
    }

    /// An image row.
    public init(id: Int64? = nil, location: String, width: Int, height: Int, channels: Int = 1,
                split: ImageSplit? = nil, pixels: Data? = nil, documentId: Int64? = nil) {
        self.id = id
        self.location = location
        self.width = width
        self.height = height
        self.channels = channels
        self.split = split
        self.pixels = pixels
        self.documentId = documentId
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The label of an image for one observation of a task (table `imageLabel`).
public struct ImageLabel: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var imageId: Int64
    public var task: String
    public var observation: String
    public var value: LabelValue

    public enum Columns {
        public static let imageId = Column(CodingKeys.imageId)
        public static let task = Column(CodingKeys.task)
    }

    /// An image label.
    public init(imageId: Int64, task: String, observation: String, value: LabelValue) {
        self.imageId = imageId
        self.task = task
        self.observation = observation
        self.value = value
    }
}

/// An image id a report names (Open-i `parentImage`), recorded before any image is imported
/// (table `documentImage`).
public struct DocumentImage: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var documentId: Int64
    /// e.g. CXR1_1_IM-0001-3001.
    public var imageRef: String

    /// A link.
    public init(documentId: Int64, imageRef: String) {
        self.documentId = documentId
        self.imageRef = imageRef
    }
}

extension Corpus.Reader {
    /// The id of the image at `location`, if stored.
    public func imageId(location: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE location = ?", arguments: [location])
    }

    /// The documents that name image `imageRef` (of `source`, when given).
    public func documentsNaming(imageRef: String, source: String?) throws -> [Int64] {
        try Int64.fetchAll(db, sql: """
            SELECT DISTINCT di.documentId FROM documentImage di JOIN document d ON d.id = di.documentId
            WHERE di.imageRef = ? AND (? IS NULL OR d.source = ?)
            """, arguments: [imageRef, source, source])
    }

    /// The tasks with image labels, with their labelled image counts.
    public func imageTasks() throws -> [(task: String, images: Int)] {
        try Row.fetchAll(db, sql: "SELECT task, COUNT(DISTINCT imageId) AS n FROM imageLabel GROUP BY task ORDER BY task")
            .map { ($0["task"], $0["n"]) }
    }

    /// The images with a label of `task`, in id order.
    public func images(task: String) throws -> [Image] {
        try Image.fetchAll(db, sql: """
            SELECT * FROM image WHERE id IN (SELECT imageId FROM imageLabel WHERE task = ?) ORDER BY id
            """, arguments: [task])
    }

    /// Every image label of `task`.
    public func imageLabels(task: String) throws -> [ImageLabel] {
        try ImageLabel.filter(ImageLabel.Columns.task == task).fetchAll(db)
    }
}

extension Corpus.Writer {
    /// Stores the image at `image.location`: inserted, or its row updated in place (a nil split,
    /// pixels or document keeps the stored one). Returns its id and whether it was new.
    public func upsert(_ image: Image) throws -> (id: Int64, inserted: Bool) {
        if let existing = try imageId(location: image.location) {
            try db.execute(sql: """
                UPDATE image SET width = ?, height = ?, channels = ?, split = COALESCE(?, split),
                    pixels = COALESCE(?, pixels), documentId = COALESCE(?, documentId) WHERE id = ?
                """, arguments: [image.width, image.height, image.channels, image.split?.rawValue, image.pixels,
                                 image.documentId, existing])
            return (existing, false)
        }
        var record = image
        try record.insert(db)
        return (try record.id ?? db.lastInsertedRowID, true)
    }

    /// Writes `label`, replacing the image's label of the same task and observation.
    public func upsert(_ label: ImageLabel) throws {
        try db.cachedStatement(sql: """
            INSERT INTO imageLabel (imageId, task, observation, value) VALUES (?, ?, ?, ?)
            ON CONFLICT(imageId, task, observation) DO UPDATE SET value = excluded.value
            """).execute(arguments: [label.imageId, label.task, label.observation, label.value.rawValue])
    }

    /// Deletes the image's label of `task` and `observation`, if any.
    public func deleteImageLabel(imageId: Int64, task: String, observation: String) throws {
        try db.cachedStatement(sql: "DELETE FROM imageLabel WHERE imageId = ? AND task = ? AND observation = ?")
            .execute(arguments: [imageId, task, observation])
    }

    /// Records that document `documentId` names image `imageRef` (once).
    public func link(documentId: Int64, imageRef: String) throws {
        if let server { return server.link(documentId: documentId, imageRef: imageRef) }  // batched
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO documentImage (documentId, imageRef) VALUES (?, ?)")
            .execute(arguments: [documentId, imageRef])
    }
}
