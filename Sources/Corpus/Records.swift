import Foundation
import GRDB

/// Kinds of text a document can be.
public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case report, note, vignette
}

/// A label value with the CheXpert conventions: positive 1, negative 0, uncertain -1.
public enum LabelValue: Int, Codable, Sendable, CaseIterable {
    case positive = 1
    case negative = 0
    case uncertain = -1
}

/// Who or what produced a label.
public enum LabelSource: String, Codable, Sendable, CaseIterable {
    case rules, icd, mesh, human, model
}

/// One text: a radiology report, a clinical note or a case vignette.
public struct Document: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var source: String
    public var externalId: String
    public var kind: DocumentKind
    public var text: String
    public var contentHash: String
    public var importedAt: Date

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let source = Column(CodingKeys.source)
        public static let externalId = Column(CodingKeys.externalId)
        public static let kind = Column(CodingKeys.kind)
        public static let contentHash = Column(CodingKeys.contentHash)
    }

    public init(id: Int64? = nil, source: String, externalId: String, kind: DocumentKind,
                text: String, contentHash: String? = nil, importedAt: Date = Date()) {
        self.id = id
        self.source = source
        self.externalId = externalId
        self.kind = kind
        self.text = text
        self.contentHash = contentHash ?? ContentHash.of(text)
        self.importedAt = importedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One label of one document for one observation of a scheme, from one source.
public struct Label: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var documentId: Int64
    public var scheme: String
    public var observation: String
    public var value: LabelValue
    public var source: LabelSource
    public var evidenceStart: Int?
    public var evidenceEnd: Int?
    public var evidence: String?
    public var ruleId: String?
    public var ruleSetVersion: String?

    public enum Columns {
        public static let documentId = Column(CodingKeys.documentId)
        public static let scheme = Column(CodingKeys.scheme)
        public static let observation = Column(CodingKeys.observation)
        public static let value = Column(CodingKeys.value)
        public static let source = Column(CodingKeys.source)
    }

    public init(id: Int64? = nil, documentId: Int64, scheme: String, observation: String,
                value: LabelValue, source: LabelSource, evidenceStart: Int? = nil,
                evidenceEnd: Int? = nil, evidence: String? = nil, ruleId: String? = nil,
                ruleSetVersion: String? = nil) {
        self.id = id
        self.documentId = documentId
        self.scheme = scheme
        self.observation = observation
        self.value = value
        self.source = source
        self.evidenceStart = evidenceStart
        self.evidenceEnd = evidenceEnd
        self.evidence = evidence
        self.ruleId = ruleId
        self.ruleSetVersion = ruleSetVersion
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// An entry of a coding system: an ICD-10-CM chapter, section or code.
public struct Code: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public enum Kind: String, Codable, Sendable { case chapter, section, code }
    public var id: Int64?
    public var system: String
    public var code: String
    public var kind: Kind
    public var parent: String?
    public var title: String
    public var inclusionTerms: String?

    public enum Columns {
        public static let system = Column(CodingKeys.system)
        public static let code = Column(CodingKeys.code)
        public static let parent = Column(CodingKeys.parent)
    }

    public init(id: Int64? = nil, system: String, code: String, kind: Kind, parent: String?,
                title: String, inclusionTerms: String? = nil) {
        self.id = id
        self.system = system
        self.code = code
        self.kind = kind
        self.parent = parent
        self.title = title
        self.inclusionTerms = inclusionTerms
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A code attached to a document (a billing code on a note).
public struct DocumentCode: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var documentId: Int64
    public var codeId: Int64
    public init(documentId: Int64, codeId: Int64) {
        self.documentId = documentId
        self.codeId = codeId
    }
}

/// An image: where its pixels are, its size and split, and the report of its study.
public struct Image: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var location: String
    public var width: Int
    public var height: Int
    public var channels: Int
    public var split: String?
    public var pixels: Data?
    public var documentId: Int64?

    public enum Columns {
        public static let location = Column(CodingKeys.location)
        public static let split = Column(CodingKeys.split)
        public static let documentId = Column(CodingKeys.documentId)
    }

    public init(id: Int64? = nil, location: String, width: Int, height: Int, channels: Int = 1,
                split: String? = nil, pixels: Data? = nil, documentId: Int64? = nil) {
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

/// The label of an image for one observation of a task.
public struct ImageLabel: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var imageId: Int64
    public var task: String
    public var observation: String
    public var value: LabelValue
    public init(imageId: Int64, task: String, observation: String, value: LabelValue) {
        self.imageId = imageId
        self.task = task
        self.observation = observation
        self.value = value
    }
}

/// A sequenced M. tuberculosis isolate.
public struct Isolate: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var sampleId: String
    public var source: String
    public init(id: Int64? = nil, sampleId: String, source: String) {
        self.id = id
        self.sampleId = sampleId
        self.source = source
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A variant of an isolate in a candidate gene, named as the WHO catalogue names it.
public struct Variant: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var isolateId: Int64
    public var gene: String
    public var change: String
    public var effect: String?
    public var alleleFraction: Double?
    public var position: String?
    public init(isolateId: Int64, gene: String, change: String, effect: String? = nil,
                alleleFraction: Double? = nil, position: String? = nil) {
        self.isolateId = isolateId
        self.gene = gene
        self.change = change
        self.effect = effect
        self.alleleFraction = alleleFraction
        self.position = position
    }
}

/// A measured drug-susceptibility phenotype of an isolate: R or S.
public struct Phenotype: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var isolateId: Int64
    public var drug: String
    public var phenotype: String
    public var method: String?
    public init(isolateId: Int64, drug: String, phenotype: String, method: String? = nil) {
        self.isolateId = isolateId
        self.drug = drug
        self.phenotype = phenotype
        self.method = method
    }
}

/// A trained model registered in the corpus with the metrics it reached.
public struct ModelRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "model"
    public var id: Int64?
    public var name: String
    public var task: String
    public var file: String
    public var metrics: String?
    public var createdAt: Date
    public init(id: Int64? = nil, name: String, task: String, file: String, metrics: String?,
                createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.task = task
        self.file = file
        self.metrics = metrics
        self.createdAt = createdAt
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
