import Corpus
import Foundation
import Mining
import Statistics

/// Options of the review list: which documents of a scheme a reader sees.
public struct ReviewListOptions: Codable, Sendable {
    public var rules = RulesOptions()
    /// The reader whose review state is shown.
    public var reader: String
    /// Only documents whose rules gave this observation (and, with `value`, this value).
    public var observation: String?
    public var value: Int?
    /// Only documents the reader has not reviewed.
    public var unreviewedOnly = false
    public var offset = 0
    public var limit = 25

    /// The first page of every document with rule labels of the default scheme.
    public init(reader: String) { self.reader = reader }
}

/// A page of the review list.
public struct ReviewList: Codable, Sendable {
    public var scheme: String
    /// The scheme's observations, in rule order.
    public var observations: [String]
    public var reader: String
    /// Documents the filter selects in all.
    public var total: Int
    public var offset: Int
    public var documents: [ReviewDocument]
}

/// One document as a reader reviews it: the text, the rule labels with their evidence (character
/// offsets into the text), and the labels the reader gave, if any.
public struct ReviewedDocument: Codable, Sendable {
    public var documentId: Int64
    public var externalId: String
    public var source: String
    public var text: String
    public var scheme: String
    public var observations: [String]
    /// The rule labels, with evidence.
    public var rules: [TextLabel]
    public var reader: String
    /// The reader's labels: observation -> 1 / 0 / -1 (empty when not reviewed).
    public var labels: [String: Int]
    /// When the reader labelled it.
    public var labelledAt: Date?
}

/// A reader's labels of one document, as the review page sends them.
public struct ReviewSubmission: Codable, Sendable {
    public var rules = RulesOptions()
    public var documentId: Int64
    public var reader: String
    /// Observation -> 1 / 0 / -1; an observation left out is not mentioned.
    public var labels: [String: Int]

    /// A submission.
    public init(documentId: Int64, reader: String, labels: [String: Int]) {
        self.documentId = documentId
        self.reader = reader
        self.labels = labels
    }
}

/// Cohen's kappa between two readers (or a reader and the rules) over the documents both labelled.
public struct ReaderAgreement: Codable, Sendable {
    public var first: String, second: String
    /// Documents both labelled.
    public var documents: Int
    /// Kappa over every (document, observation) pair, positive against not.
    public var kappa: Double?
    /// The share of pairs on which they agree.
    public var agreement: Double?
    /// Kappa per observation (nil where neither reader called it positive or both always did).
    public var observations: [String: Double?]
}

/// The agreement dashboard of a scheme: its readers, and kappa between every pair and between
/// each reader and the rules.
public struct ReviewAgreement: Codable, Sendable {
    public var scheme: String
    public var readers: [ReaderSummary]
    public var pairs: [ReaderAgreement]
    /// How uncertain (-1) counted.
    public var uncertain: UncertainCounting

    public struct ReaderSummary: Codable, Sendable {
        public var name: String
        public var documents: Int
    }
}

/// The name `rules` stands for in the agreement table.
public let rulesReaderName = "rules"

extension Workspace {
    /// A page of the documents with rule labels of a scheme, with whether `reader` reviewed each.
    public func reviewList(_ options: ReviewListOptions) throws -> ReviewList {
        let reader = try Workspace.checkedReader(options.reader)
        let rules = try ruleSet(options.rules)
        var filter = ReviewFilter(scheme: rules.scheme, reader: reader)
        if let observation = options.observation, !observation.isEmpty {
            // An observation the scheme does not have selects no document.
            filter.observation = observation
            if let value = options.value {
                guard let v = LabelValue(rawValue: value) else { throw TriageError(.unusable, "a label value is 1, 0 or -1, not \(value)") }
                filter.value = v
            }
        }
        filter.unreviewedOnly = options.unreviewedOnly
        guard (1...500).contains(options.limit), (0...Int(Int32.max)).contains(options.offset) else {
            throw TriageError(.unusable, "a page holds 1 to 500 documents, from an offset of 0 to 2147483647")
        }
        do {
            let (total, documents) = try corpus().read { try $0.reviewDocuments(filter, offset: options.offset, limit: options.limit) }
            return ReviewList(scheme: rules.scheme, observations: rules.labels, reader: reader, total: total,
                              offset: options.offset, documents: documents)
        } catch {
            throw TriageError(error)
        }
    }

    /// One document for review: its text, its rule labels with evidence, and `reader`'s labels.
    public func reviewDocument(_ documentId: Int64, rules options: RulesOptions = RulesOptions(), reader: String) throws -> ReviewedDocument {
        let reader = try Workspace.checkedReader(reader)
        let rules = try ruleSet(options)
        do {
            return try corpus().read { db in
                guard let document = try db.document(id: documentId) else {
                    throw TriageError(.notFound, "there is no document \(documentId) in the corpus")
                }
                let mined = try db.labels(documentId: documentId, scheme: rules.scheme, source: .rules)
                let given = try db.labels(documentId: documentId, scheme: rules.scheme, source: .human, reader: reader)
                let offsets = CharacterOffsets(document.text)
                let order = Dictionary(uniqueKeysWithValues: rules.labels.enumerated().map { ($1, $0) })
                let ruleLabels = mined.sorted { (order[$0.observation] ?? .max, $0.observation) < (order[$1.observation] ?? .max, $1.observation) }
                    .map { label -> TextLabel in
                        var evidence: [LabelEvidence] = []
                        if let start = label.evidenceStart, let end = label.evidenceEnd {
                            evidence.append(LabelEvidence(start: offsets.characters(atByte: start), end: offsets.characters(atByte: end),
                                                          sentence: offsets.text(bytes: start..<max(start, end)), rule: label.ruleId ?? ""))
                        }
                        return TextLabel(observation: label.observation, value: label.value.rawValue, evidence: evidence)
                    }
                return ReviewedDocument(documentId: documentId, externalId: document.externalId, source: document.source,
                                        text: document.text, scheme: rules.scheme, observations: rules.labels, rules: ruleLabels,
                                        reader: reader, labels: Dictionary(given.map { ($0.observation, $0.value.rawValue) }) { a, _ in a },
                                        labelledAt: given.compactMap(\.labelledAt).max())
            }
        } catch {
            throw TriageError(error)
        }
    }

    /// Stores a reader's labels of one document as human labels (replacing that reader's earlier
    /// ones); returns the document as reviewed.
    public func saveReview(_ submission: ReviewSubmission) throws -> ReviewedDocument {
        let reader = try Workspace.checkedReader(submission.reader)
        let rules = try ruleSet(submission.rules)
        var values: [String: LabelValue] = [:]
        for (observation, value) in submission.labels {
            guard rules.labels.contains(observation) else {
                throw TriageError(.notFound, "\(observation) is not an observation of \(rules.scheme): \(rules.labels.joined(separator: ", "))")
            }
            guard let v = LabelValue(rawValue: value) else { throw TriageError(.unusable, "a label value is 1, 0 or -1, not \(value)") }
            values[observation] = v
        }
        guard !values.isEmpty else {
            throw TriageError(.unusable, "a review needs at least one label (for a report without findings, the scheme's normal label)")
        }
        do {
            try corpus().write { db in
                guard try db.document(id: submission.documentId) != nil else {
                    throw TriageError(.notFound, "there is no document \(submission.documentId) in the corpus")
                }
                try db.replaceReview(documentId: submission.documentId, scheme: rules.scheme, reader: reader, values: values, at: Date())
            }
        } catch {
            throw TriageError(error)
        }
        return try reviewDocument(submission.documentId, rules: submission.rules, reader: reader)
    }

    /// Cohen's kappa between every pair of readers of a scheme, and between each reader and the rules.
    public func reviewAgreement(rules options: RulesOptions = RulesOptions(), uncertain: UncertainCounting = .positive) throws -> ReviewAgreement {
        let rules = try ruleSet(options)
        do {
            let store = try corpus()
            let readers = try store.read { try $0.readers(scheme: rules.scheme) }
            var tables: [(String, LabelTable)] = []
            for r in readers {
                tables.append((r.reader, try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels,
                                                             source: .human, reader: r.reader)))
            }
            let ruleTable = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: .rules)
            var pairs: [ReaderAgreement] = []
            for (i, (name, table)) in tables.enumerated() {
                for (other, otherTable) in tables[(i + 1)...] {
                    pairs.append(Workspace.agreement(name, table, other, otherTable, uncertain: uncertain))
                }
            }
            for (name, table) in tables {
                pairs.append(Workspace.agreement(name, table, rulesReaderName, ruleTable, uncertain: uncertain))
            }
            return ReviewAgreement(scheme: rules.scheme, readers: readers.map { .init(name: $0.reader, documents: $0.documents) },
                                   pairs: pairs, uncertain: uncertain)
        } catch {
            throw TriageError(error)
        }
    }

    /// Kappa per observation and pooled over all of them.
    static func agreement(_ first: String, _ a: LabelTable, _ second: String, _ b: LabelTable, uncertain: UncertainCounting) -> ReaderAgreement {
        let rows = LabelEvaluation.agreement(a, b, uncertainIsPositive: uncertain == .positive)
        var both = 0, onlyFirst = 0, onlySecond = 0, neither = 0
        var observations: [String: Double?] = [:]
        for row in rows {
            both += row.both; onlyFirst += row.onlyFirst; onlySecond += row.onlySecond; neither += row.neither
            // Kappa says nothing where neither reader ever varied.
            let varied = row.both + row.onlyFirst + row.onlySecond > 0 && row.onlyFirst + row.onlySecond + row.neither > 0
            observations[row.label] = row.n > 0 && varied ? row.kappa : nil
        }
        let documents = rows.first?.n ?? 0
        let n = both + onlyFirst + onlySecond + neither
        return ReaderAgreement(first: first, second: second, documents: documents,
                               kappa: n > 0 ? Metrics.cohenKappa(both: both, onlyFirst: onlyFirst, onlySecond: onlySecond, neither: neither) : nil,
                               agreement: n > 0 ? Metrics.observedAgreement(both: both, onlyFirst: onlyFirst, onlySecond: onlySecond, neither: neither) : nil,
                               observations: observations)
    }

    /// A reader's name: 1 to 64 characters (code points), no control character (C0, DEL, C1), no
    /// space at either end, and not `rules` in any case (the rules' name in the agreement table).
    /// The OpenAPI file states the same rule as a pattern.
    static func checkedReader(_ name: String) throws -> String {
        let scalars = Array(name.unicodeScalars)
        // The white space of ECMAScript's \s, which the OpenAPI pattern uses.
        func isSpace(_ s: Unicode.Scalar) -> Bool {
            [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF].contains(s.value)
                || (0x2000...0x200A).contains(s.value)
        }
        guard let first = scalars.first, let last = scalars.last, scalars.count <= 64, !isSpace(first), !isSpace(last),
              !scalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw TriageError(.unusable, "a reader's name has 1 to 64 characters, no control character and no space at either end (e.g. your initials)")
        }
        guard name.lowercased() != rulesReaderName else { throw TriageError(.unusable, "'rules' is the name of the rules; choose another reader name") }
        return name
    }
}
