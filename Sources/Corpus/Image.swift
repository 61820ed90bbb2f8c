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
        if let server { return try server.query("SELECT id FROM image WHERE location = ?", [.text(location)]).first?.integer(0) }
        return try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE location = ?", arguments: [location])
    }

    /// The documents that name image `imageRef` (of `source`, when given), in id order.
    public func documentsNaming(imageRef: String, source: String?) throws -> [Int64] {
        let sql = """
            SELECT DISTINCT di.documentId FROM documentImage di JOIN document d ON d.id = di.documentId
            WHERE di.imageRef = ?\(source == nil ? "" : " AND d.source = ?") ORDER BY di.documentId
            """
        if let server { return try server.query(sql, [.text(imageRef)] + (source.map { [.text($0)] } ?? [])).map { try $0.integer(0) } }
        return try Int64.fetchAll(db, sql: sql, arguments: StatementArguments([imageRef] + (source.map { [$0] } ?? [])))
    }

    /// The tasks with image labels, with their labelled image counts, by task (bytes compared).
    public func imageTasks() throws -> [(task: String, images: Int)] {
        if let server {
            return try server.query("SELECT task, COUNT(DISTINCT imageid) FROM imagelabel GROUP BY task ORDER BY task COLLATE \"C\"", [])
                .map { (try $0.text(0), Int(try $0.integer(1))) }
        }
        return try Row.fetchAll(db, sql: "SELECT task, COUNT(DISTINCT imageId) AS n FROM imageLabel GROUP BY task ORDER BY task")
            .map { ($0["task"], $0["n"]) }
    }

    /// The images with a label of `task`, in id order.
    public func images(task: String) throws -> [Image] {
        let sql = """
            SELECT id, location, width, height, channels, split, pixels, documentId FROM image
            WHERE id IN (SELECT imageId FROM imageLabel WHERE task = ?) ORDER BY id
            """
        if let server { return try server.query(sql, [.text(task)]).map(Image.init(serverRow:)) }
        return try Image.fetchAll(db, sql: sql, arguments: [task])
    }

    /// Every image label of `task`, by image then observation (bytes compared).
    public func imageLabels(task: String) throws -> [ImageLabel] {
        if let server {
            return try server.query("""
                SELECT imageid, task, observation, value FROM imagelabel WHERE task = ? ORDER BY imageid, observation COLLATE "C"
                """, [.text(task)]).map { r in
                let value = try r.integer(3)
                guard let known = LabelValue(rawValue: Int(value)) else { throw CorpusError(path: r.location, "an image label has an unknown value \(value)") }
                return ImageLabel(imageId: try r.integer(0), task: try r.text(1), observation: try r.text(2), value: known)
            }
        }
        return try ImageLabel.filter(ImageLabel.Columns.task == task).order(ImageLabel.Columns.imageId, Column("observation")).fetchAll(db)
    }
}

extension Image {
    /// An image from a server row of id, location, width, height, channels, split, pixels, documentId.
    init(serverRow r: CorpusRow) throws {
        let split = try r.optionalText(5)
        guard split == nil || ImageSplit(rawValue: split ?? "") != nil else {
            throw CorpusError(path: r.location, "image \(try r.text(1)) has an unknown split \(split ?? "")")
        }
        self.init(id: try r.integer(0), location: try r.text(1), width: Int(try r.integer(2)), height: Int(try r.integer(3)),
                  channels: Int(try r.integer(4)), split: split.flatMap(ImageSplit.init(rawValue:)),
                  pixels: try r.optionalBlob(6).map { Data($0) }, documentId: try r.optionalInteger(7))
    }
}

extension Corpus.Writer {
    /// Stores the image at `image.location`: inserted, or its row updated in place (a nil split,
    /// pixels or document keeps the stored one). Returns its id and whether it was new.
    public func upsert(_ image: Image) throws -> (id: Int64, inserted: Bool) {
        let optional: [CorpusValue] = [image.split.map { .text($0.rawValue) } ?? .null, image.pixels.map { .blob([UInt8]($0)) } ?? .null,
                                       image.documentId.map { .integer($0) } ?? .null]
        if let existing = try imageId(location: image.location) {
            let sql = """
                UPDATE image SET width = ?, height = ?, channels = ?, split = COALESCE(?, split),
                    pixels = COALESCE(?, pixels), documentId = COALESCE(?, documentId) WHERE id = ?
                """
            if let server {
                try server.execute(sql, [.integer(Int64(image.width)), .integer(Int64(image.height)), .integer(Int64(image.channels))]
                                   + optional + [.integer(existing)])
            } else {
                try db.execute(sql: sql, arguments: [image.width, image.height, image.channels, image.split?.rawValue, image.pixels,
                                                     image.documentId, existing])
            }
            return (existing, false)
        }
        if let server {
            let id = try server.query("""
                INSERT INTO image (\(image.id == nil ? "" : "id, ")location, width, height, channels, split, pixels, documentid)
                VALUES \(ServerSession.placeholders(rows: 1, columns: image.id == nil ? 7 : 8)) RETURNING id
                """, (image.id.map { [.integer($0)] } ?? []) + [.text(image.location), .integer(Int64(image.width)),
                      .integer(Int64(image.height)), .integer(Int64(image.channels))] + optional).first?.integer(0)
            guard let id else { throw CorpusError(path: server.location, "inserting image \(image.location) returned no id") }
            return (id, true)
        }
        var record = image
        try record.insert(db)
        return (try record.id ?? db.lastInsertedRowID, true)
    }

    /// `upsert` of each of `images` in order; on a server, a few statements for the whole batch (one
    /// to find the stored ones, one to update them, one to insert the others).
    public func upsert(_ images: [Image]) throws -> [(id: Int64, inserted: Bool)] {
        guard let server, Set(images.map(\.location)).count == images.count else { return try images.map { try upsert($0) } }
        var stored: [String: Int64] = [:]
        for chunk in images.chunks(of: ServerSession.rowsPerStatement) {
            for row in try server.query("SELECT id, location FROM image WHERE location = ANY(?::text[])", [.array(.texts(chunk.map(\.location)))]) {
                stored[try row.text(1)] = try row.integer(0)
            }
        }
        func optional(_ image: Image) -> [CorpusValue] {
            [image.split.map { .text($0.rawValue) } ?? .null, image.pixels.map { .blob([UInt8]($0)) } ?? .null,
             image.documentId.map { .integer($0) } ?? .null]
        }
        func sizes(_ image: Image) -> [CorpusValue] {
            [.integer(Int64(image.width)), .integer(Int64(image.height)), .integer(Int64(image.channels))]
        }
        // Typed in the first row: the server reads the other rows' parameters as the same types.
        let typed = "(?::bigint, ?::integer, ?::integer, ?::integer, ?::text, ?::bytea, ?::bigint)"
        let perStatement = ServerSession.rowsPerStatement / 4
        let existing = images.filter { stored[$0.location] != nil }
        for chunk in existing.chunks(of: perStatement) {
            try server.execute("""
                UPDATE image SET width = x.w, height = x.h, channels = x.c, split = COALESCE(x.s, image.split),
                    pixels = COALESCE(x.p, image.pixels), documentid = COALESCE(x.d, image.documentid)
                FROM (VALUES \(typed)\(String(repeating: ", (?, ?, ?, ?, ?, ?, ?)", count: chunk.count - 1))) AS x(id, w, h, c, s, p, d)
                WHERE image.id = x.id
                """, chunk.flatMap { [.integer(stored[$0.location] ?? -1)] + sizes($0) + optional($0) })
        }
        var inserted: [String: Int64] = [:]
        let fresh = images.filter { stored[$0.location] == nil }
        for chunk in fresh.chunks(of: perStatement) {
            // One statement for the images with ids given and one for the others, in order: the ids it
            // draws follow the rows, as one insert after another would draw them.
            for group in [chunk.filter { $0.id != nil }, chunk.filter { $0.id == nil }] where !group.isEmpty {
                let withIds = group[0].id != nil
                for row in try server.query("""
                    INSERT INTO image (\(withIds ? "id, " : "")location, width, height, channels, split, pixels, documentid)
                    VALUES \(ServerSession.placeholders(rows: group.count, columns: withIds ? 8 : 7)) RETURNING id, location
                    """, group.flatMap { (withIds ? [.integer($0.id ?? -1)] : []) + [.text($0.location)] + sizes($0) + optional($0) }) {
                    inserted[try row.text(1)] = try row.integer(0)
                }
            }
        }
        return try images.map { image in
            if let id = stored[image.location] { return (id, false) }
            guard let id = inserted[image.location] else { throw CorpusError(path: server.location, "image \(image.location) was neither stored nor inserted") }
            return (id, true)
        }
    }

    /// `upsert` of each of `labels` in order (the last of one image, task and observation wins); on a
    /// server, one statement per ten thousand.
    public func upsert(_ labels: [ImageLabel]) throws {
        guard let server else { return try labels.forEach(upsert) }
        let kept = labels.mergingRepeats(by: { ImageLabelKey($0.imageId, $0.task, $0.observation) }) { kept, later in kept = later }
        for chunk in kept.chunks(of: ServerSession.labelsPerStatement) {
            try server.execute("""
                INSERT INTO imagelabel (imageid, task, observation, value)
                SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::integer[])
                ON CONFLICT (imageid, task, observation) DO UPDATE SET value = excluded.value
                """, [.array(.integers(chunk.map(\.imageId))), .array(.texts(chunk.map(\.task))), .array(.texts(chunk.map(\.observation))),
                      .array(.integers(chunk.map { Int64($0.value.rawValue) }))])
        }
    }

    /// An image label's key.
    private struct ImageLabelKey: Hashable {
        var imageId: Int64, task: String, observation: String
        init(_ imageId: Int64, _ task: String, _ observation: String) { (self.imageId, self.task, self.observation) = (imageId, task, observation) }
    }

    /// Writes `label`, replacing the image's label of the same task and observation.
    public func upsert(_ label: ImageLabel) throws {
        let sql = """
            INSERT INTO imageLabel (imageId, task, observation, value) VALUES (?, ?, ?, ?)
            ON CONFLICT(imageId, task, observation) DO UPDATE SET value = excluded.value
            """
        if let server {
            try server.execute(sql, [.integer(label.imageId), .text(label.task), .text(label.observation), .integer(Int64(label.value.rawValue))])
            return
        }
        try db.cachedStatement(sql: sql).execute(arguments: [label.imageId, label.task, label.observation, label.value.rawValue])
    }

    /// Deletes the image's label of `task` and `observation`, if any.
    public func deleteImageLabel(imageId: Int64, task: String, observation: String) throws {
        let sql = "DELETE FROM imageLabel WHERE imageId = ? AND task = ? AND observation = ?"
        if let server { try server.execute(sql, [.integer(imageId), .text(task), .text(observation)]); return }
        try db.cachedStatement(sql: sql).execute(arguments: [imageId, task, observation])
    }

    /// Records that document `documentId` names image `imageRef` (once).
    public func link(documentId: Int64, imageRef: String) throws {
        if let server { return server.link(documentId: documentId, imageRef: imageRef) }  // batched
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO documentImage (documentId, imageRef) VALUES (?, ?)")
            .execute(arguments: [documentId, imageRef])
    }
}
