import Corpus
import Dispatch
import Foundation
import Inputs

/// What a mining run did.
public struct MiningSummary: Sendable, Codable {
    /// Reports read from the input.
    public var reports = 0
    /// New documents stored.
    public var inserted = 0
    /// Documents whose text changed and were re-labelled.
    public var updated = 0
    /// Documents whose text was unchanged but whose labels were out of date (new rules).
    public var relabelled = 0
    /// Unchanged documents skipped.
    public var unchanged = 0
    /// Bad inputs (warned and skipped).
    public var bad = 0
    /// Reports without text (warned, stored with only the derived label).
    public var empty = 0
    /// Labels written (source rules).
    public var labels = 0
    /// Positive/uncertain/negative counts per label (source rules) of the reports labelled in this run.
    public var counts: [String: [String: Int]] = [:]
    /// Whether the run was stopped before the end (`shouldStop`); a re-run resumes it.
    public var interrupted = false
    /// Wall-clock seconds.
    public var seconds = 0.0
    /// CPU seconds (user + system, all threads) of the run: reports / cpuSeconds is the per-core rate.
    public var cpuSeconds = 0.0
}

/// Mines weak labels from inputs into the corpus: read, label on `jobs` threads, write in batches.
public final class Miner {
    /// The labelling scheme.
    public let scheme: MiningScheme
    /// The corpus written to.
    public let corpus: Corpus
    /// Worker threads for parsing and labelling.
    public let jobs: Int
    /// Reports per transaction.
    public var batchSize = 500
    /// Reports longer than this many UTF-8 bytes are skipped with a warning.
    public var maxReportBytes = 1 << 20
    /// MeSH terms -> labels of the scheme (Open-i), if a mapping exists.
    public var meshMapping: LabelMapping?
    /// ICD-10-CM code ranges -> labels of the scheme, if a mapping exists.
    public var icdMapping: LabelMapping?
    /// Called with every warning (bad input), already naming the file.
    public var warn: (String) -> Void = { _ in }
    /// Called after each batch with the reports read so far.
    public var progress: (Int) -> Void = { _ in }
    /// Asked after each batch: true stops the run there (everything written so far stays; a re-run resumes).
    public var shouldStop: () -> Bool = { false }
    /// Rewrites each report before it is labelled and stored (de-identification); it may set
    /// `original` to have the text before kept in `documentOriginal`. Called on the worker threads.
    public var rewrite: (@Sendable (RawReport) -> RawReport)?

    struct Stopped: Error {}

    private var codeIds: [String: Int64]?
    private var summary = MiningSummary()
    /// The report ids of the source being mined (ids only: millions of them must stay small).
    private var seenIds = Set<String>()

    public convenience init(rules: RuleSet, sections: [String]?, corpus: Corpus, jobs: Int) {
        self.init(scheme: MiningScheme(rules: rules, sections: sections), corpus: corpus, jobs: jobs)
    }

    /// A miner labelling with `scheme`.
    public init(scheme: MiningScheme, corpus: Corpus, jobs: Int) {
        self.scheme = scheme
        self.corpus = corpus
        self.jobs = max(1, jobs)
    }

    /// Mines every path with `reader`; `source` names the documents' source (default: each path's file name).
    public func mine(paths: [String], reader: ReportReader, source: String?) throws -> MiningSummary {
        let started = Date()
        let cpuStarted = Miner.cpuTime()
        summary = MiningSummary()
        inFlight = nil
        for path in paths {
            let sourceName = source ?? ((path as NSString).standardizingPath as NSString).lastPathComponent
            seenIds = []
            let state = try loadState(source: sourceName)
            var pending: [WorkItem] = []
            do {
                try reader.read(path: path) { item in
                    pending.append(item)
                    if pending.count >= batchSize {
                        try process(pending, source: sourceName, state: state)
                        pending.removeAll(keepingCapacity: true)
                        if shouldStop() { throw Stopped() }
                    }
                }
            } catch is Stopped {
                try flush()
                summary.interrupted = true
                break
            } catch let error as CustomStringConvertible where !(error is CorpusError) {
                // The path itself cannot be read: say so, keep what was stored, go on with the next path.
                if !pending.isEmpty { try process(pending, source: sourceName, state: state); pending.removeAll() }
                try flush()
                warn("\(error)")
                summary.bad += 1
                continue
            }
            if !pending.isEmpty { try process(pending, source: sourceName, state: state) }
            try flush()
        }
        summary.seconds = Date().timeIntervalSince(started)
        summary.cpuSeconds = Miner.cpuTime() - cpuStarted
        return summary
    }

    /// A shard of the work queue being parsed and labelled on worker threads (`startShard`), to be
    /// written by `writeShard`.
    public final class ShardBatch {
        fileprivate let batch: InFlight
        fileprivate let started = Date()
        fileprivate init(_ batch: InFlight) { self.batch = batch }
    }

    /// Starts parsing and labelling `items` (a shard's work items) on `jobs` threads and returns at
    /// once, so that the caller can write the shard before it meanwhile.
    public func startShard(_ items: [WorkItem], source: String) -> ShardBatch {
        ShardBatch(start(items, source: source, state: SourceState()))
    }

    /// Writes a shard started by `startShard` as ONE batch, in one transaction that also runs
    /// `complete` with this shard's counts: the documents, the labels and what `complete` writes
    /// (the shard marked done) land together or not at all. Only the shard's own report ids are
    /// looked up in the corpus, not its whole source. With `firstDocumentId`, a new document gets the
    /// id `firstDocumentId + k` for the shard's k-th item (ids the queue reserved in input order, so
    /// that documents sort as one process stores them).
    ///
    /// `reservedIds`, the ids reserved for the whole input, tell a report id repeated in another shard:
    /// stored under an earlier item's id, this later report is skipped as `mine` skips a repeat (counted
    /// bad, warned); stored under a later item's id (that shard was written first), it is replaced by
    /// this earlier one (counted bad here, for the later report `mine` would skip). Either way the corpus
    /// ends as one process mining the input leaves it.
    public func writeShard(_ shard: ShardBatch, firstDocumentId: Int64?, reservedIds: Range<Int64>? = nil,
                           complete: @escaping (Corpus.Writer, MiningSummary) throws -> Void) throws -> MiningSummary {
        summary = MiningSummary()
        seenIds = []
        shard.batch.group.wait()
        let outcomes = shard.batch.outcomes.compactMap { $0 }
        var ids: [String] = []
        ids.reserveCapacity(outcomes.count)
        for outcome in outcomes {
            if case .labelled(let report, _) = outcome { ids.append(report.externalId) }
            if case .empty(let report, _) = outcome { ids.append(report.externalId) }
        }
        let state = SourceState()
        try corpus.read { reader in
            for (id, stored) in try reader.storedDocuments(source: shard.batch.source, externalIds: ids, labelledWith: scheme.name,
                                                           ruleSetVersion: scheme.version) {
                state.documents[id] = stored.document
                if stored.labelled { state.current.insert(stored.document.id) }
            }
        }
        var completed = false
        completeInTransaction = { writer, counters in
            try complete(writer, counters)
            completed = true
        }
        self.firstDocumentId = firstDocumentId
        self.reservedIds = reservedIds
        // A shard's documents are its own (ids the queue reserved), so its write shares the writers'
        // turn with the other workers' shards.
        writeTurn = .shared
        defer { completeInTransaction = nil; self.firstDocumentId = nil; self.reservedIds = nil; writeTurn = .alone }
        try write(outcomes, source: shard.batch.source, state: state)
        // Nothing to write (every report unchanged or bad): the shard is still marked in a transaction.
        if !completed { try corpus.write(.shared) { try complete($0, summary) } }
        summary.seconds = Date().timeIntervalSince(shard.started)
        return summary
    }

    /// Why a shard cannot be mined.
    public struct ShardError: LocatedError {
        public let path: String, reason: String
        init(path: String, _ reason: String) { self.path = path; self.reason = reason }
        public var errorFile: String? { path }
        public var errorLine: Int? { nil }
    }

    /// The id of the first item's document when the batch's new documents get reserved ids (`writeShard`).
    private var firstDocumentId: Int64?
    /// The ids reserved for the whole input of the shard being written (`writeShard`).
    private var reservedIds: Range<Int64>?

    /// Where a stored document of the same report id sits among the input's reserved ids, against
    /// the `index`-th item of the batch: an earlier item's, a later item's, or neither (stored by
    /// another run, or this item's own).
    private enum Repeat { case earlier, later }
    private func repeatOf(storedId: Int64, index: Int) -> Repeat? {
        guard let reserved = reservedIds, let first = firstDocumentId, reserved.contains(storedId) else { return nil }
        let own = first + Int64(index)
        return storedId < own ? .earlier : storedId > own ? .later : nil
    }

    static func repeatSkipped(_ report: RawReport) -> String {
        "\(report.origin): duplicate report id \(report.externalId) (an earlier report of this source has it); skipped"
    }

    static func repeatReplaced(_ report: RawReport) -> String {
        "\(report.origin): duplicate report id \(report.externalId) (a later report of this source has it, written first by another shard); "
            + "this earlier one replaces it, as one process keeps the first"
    }

    /// How a batch's write takes the writers' turn on a server corpus: shared for a shard (`writeShard`).
    private var writeTurn: Corpus.WriteTurn = .alone

    /// Run at the end of a batch's write transaction with the counts so far (`writeShard`).
    private var completeInTransaction: ((Corpus.Writer, MiningSummary) throws -> Void)?

    /// User + system CPU seconds of this process so far.
    static func cpuTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// What the corpus already holds for a source: ids, hashes, and which are labelled with these rules.
    final class SourceState {
        var documents: [String: StoredDocument] = [:]
        var current: Set<Int64> = []
    }

    private func loadState(source: String) throws -> SourceState {
        let state = SourceState()
        try corpus.read { reader in
            state.documents = try reader.storedDocuments(source: source)
            state.current = try reader.documentsLabelled(source: source, scheme: scheme.name, ruleSetVersion: scheme.version)
        }
        return state
    }

    enum Outcome {
        case labelled(RawReport, [MinedLabel])
        /// A report without text: stored (so every report has a row), with a warning.
        case empty(RawReport, [MinedLabel])
        case bad(String)
        /// A warning about something read all the same.
        case note(String)
    }

    /// Parses and labels a batch on `jobs` threads, then writes it in one transaction.
    /// A batch being parsed and labelled on worker threads while the previous one is written.
    final class InFlight: @unchecked Sendable {
        let outcomes: UnsafeMutableBufferPointer<Outcome?>
        let group = DispatchGroup()
        let source: String
        let state: SourceState
        init(count: Int, source: String, state: SourceState) {
            outcomes = .allocate(capacity: count)
            outcomes.initialize(repeating: nil)
            self.source = source
            self.state = state
        }
        deinit {
            outcomes.deinitialize()
            outcomes.deallocate()
        }
    }
    private var inFlight: InFlight?

    /// Starts parsing and labelling a batch on `jobs` threads, then writes the previous batch meanwhile.
    private func process(_ items: [WorkItem], source: String, state: SourceState) throws {
        let batch = start(items, source: source, state: state)
        try flush()
        inFlight = batch
    }

    /// Starts parsing and labelling a batch on `jobs` threads.
    private func start(_ items: [WorkItem], source: String, state: SourceState) -> InFlight {
        let batch = InFlight(count: items.count, source: source, state: state)
        let workers = min(jobs, max(1, items.count / 64))
        let makeLabeler = scheme.makeLabeler
        let maxBytes = maxReportBytes
        let rewrite = self.rewrite
        for w in 0..<workers {
            DispatchQueue.global().async(group: batch.group) {
                let labeler = makeLabeler()
                var k = w
                while k < items.count {
                    batch.outcomes[k] = Miner.work(items[k], labeler: labeler, maxBytes: maxBytes, rewrite: rewrite)
                    k += workers
                }
            }
        }
        return batch
    }

    /// Waits for the batch in flight and writes it in one transaction.
    private func flush() throws {
        guard let batch = inFlight else { return }
        inFlight = nil
        batch.group.wait()
        try write(batch.outcomes.compactMap { $0 }, source: batch.source, state: batch.state)
        progress(summary.reports)
    }

    /// A condition's attributes as the label's JSON (keys sorted, compact).
    static func json(_ attributes: MentionAttributes) -> String? {
        (try? attributesEncoder.encode(attributes)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// One encoder for every label of a run (the writer is one thread), not one per label.
    private static let attributesEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func work(_ item: WorkItem, labeler: ReportLabeling, maxBytes: Int, rewrite: (@Sendable (RawReport) -> RawReport)? = nil) -> Outcome {
        var report: RawReport
        switch item {
        case .bad(let origin, let message): return .bad("\(origin): \(message)")
        case .note(let origin, let message): return .note("\(origin): \(message)")
        case .report(let r): report = r
        case .xml(let origin, let data):
            do { report = try ReportReader.openi(origin: origin, data: data) } catch let e as XMLParseError {
                return .bad(e.description)
            } catch let e as ReportReader.BadInput {
                return .bad("\(origin): \(e.message)")
            } catch { return .bad("\(origin): \(error)") }
        }
        if report.text.utf8.count > maxBytes {
            return .bad("\(report.origin): report \(report.externalId) is \(report.text.utf8.count) bytes, over the \(maxBytes)-byte limit; skipped (split it, or raise the report size limit)")
        }
        if let rewrite { report = rewrite(report) }
        let labels = labeler.label(report.text)
        if report.text.utf8.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) {
            return .empty(report, labels)
        }
        return .labelled(report, labels)
    }

    private func write(_ outcomes: [Outcome], source: String, state: SourceState) throws {
        var toWrite: [(RawReport, [MinedLabel], existing: StoredDocument?, hash: String, index: Int, replacing: Int64?)] = []
        for (index, outcome) in outcomes.enumerated() {
            switch outcome {
            case .bad(let message):
                summary.bad += 1
                warn(message)
            case .note(let message):
                warn(message)
            case .labelled(let report, let labels), .empty(let report, let labels):
                summary.reports += 1
                if case .empty = outcome {
                    summary.empty += 1
                    warn("\(report.origin): report \(report.externalId) has no text; stored with only the derived label")
                }
                if !seenIds.insert(report.externalId).inserted {
                    summary.bad += 1
                    warn(Miner.repeatSkipped(report))
                    continue
                }
                let hash = ContentHash.of(report.text)
                let existing = state.documents[report.externalId]
                if let existing, let repeated = repeatOf(storedId: existing.id, index: index) {
                    summary.bad += 1
                    if repeated == .earlier { warn(Miner.repeatSkipped(report)); continue }
                    warn(Miner.repeatReplaced(report))
                    toWrite.append((report, labels, nil, hash, index, existing.id))
                    continue
                }
                if let existing, existing.contentHash == hash, state.current.contains(existing.id) {
                    summary.unchanged += 1
                    continue
                }
                toWrite.append((report, labels, existing, hash, index, nil))
            }
        }
        if toWrite.isEmpty { return }
        if icdMapping != nil || toWrite.contains(where: { !$0.0.codes.isEmpty }), codeIds == nil {
            codeIds = try ICD10.codeIds(in: corpus)
        }
        let now = CorpusTimestamp()  // formatted once per batch, not once per row
        let schemeName = scheme.name, version = scheme.version
        var counters = summary
        // A shared write may run again (the server broke a deadlock): it starts from the counts before it,
        // and warns once of what an earlier attempt already warned of (before the shard is completed, so
        // that the shard keeps its warnings).
        var warnings: [String] = []
        var warned = 0
        try corpus.write(writeTurn) { writer in
            counters = self.summary
            warnings = []
            // The new documents first, in one call (a few multi-row statements on a server). Another process
            // may have stored one since this batch was planned: then it counts as found.
            let firstId = self.firstDocumentId
            func newDocument(_ report: RawReport, _ hash: String, _ index: Int) -> NewDocument {
                NewDocument(source: source, externalId: report.externalId, kind: report.kind, text: report.text, contentHash: hash,
                            id: firstId.map { $0 + Int64(index) })
            }
            // A later report of the same id that another shard wrote first goes (with its labels), for this one.
            for item in toWrite { if let id = item.replacing { try writer.deleteDocument(id: id) } }
            let fresh = toWrite.filter { $0.existing == nil }.map { newDocument($0.0, $0.hash, $0.index) }
            var inserted = try writer.insertDocumentsIfAbsent(fresh, importedAt: now)[...]
            for (report, labels, existing, hash, index, replacing) in toWrite {
                var id: Int64 = 0
                var stored = existing
                if stored == nil, let first = inserted.popFirst() {
                    id = first.id
                    stored = first.existing
                    // Another shard of this input stored the same report id since this batch was planned.
                    if let found = stored, let repeated = self.repeatOf(storedId: found.id, index: index) {
                        counters.bad += 1
                        if repeated == .earlier { warnings.append(Miner.repeatSkipped(report)); continue }
                        warnings.append(Miner.repeatReplaced(report))
                        try writer.deleteDocument(id: found.id)
                        id = try writer.insertDocumentsIfAbsent([newDocument(report, hash, index)], importedAt: now)[0].id
                        stored = nil
                    } else if stored == nil, replacing == nil {
                        counters.inserted += 1  // a replacement's report was counted by the shard that wrote the later one
                    }
                }
                if let existing = stored {
                    if existing.contentHash != hash {
                        try writer.updateDocument(id: existing.id, kind: report.kind, text: report.text, contentHash: hash, importedAt: now)
                        counters.updated += 1
                    } else {
                        counters.relabelled += 1
                    }
                    try writer.deleteMinedLabels(documentId: existing.id, scheme: schemeName)
                    id = existing.id
                }
                if let original = report.original {
                    try writer.keepOriginal(documentId: id, text: original)
                } else if rewrite != nil {
                    try writer.dropOriginal(documentId: id)
                }
                let utf8 = Array(report.text.utf8)
                for label in labels {
                    var evidence: String?
                    if let r = label.evidence, r.upperBound <= utf8.count {
                        evidence = String(decoding: utf8[r], as: UTF8.self)
                    }
                    try writer.replace(Label(documentId: id, scheme: schemeName, observation: label.observation, value: label.value,
                                             source: .rules, evidenceStart: label.evidence?.lowerBound,
                                             evidenceEnd: label.evidence?.upperBound, evidence: evidence,
                                             ruleId: label.ruleId, ruleSetVersion: version,
                                             attributes: label.attributes.flatMap(Miner.json)))
                    counters.labels += 1
                    counters.counts[label.observation, default: [:]][label.value.name, default: 0] += 1
                }
                for image in report.images { try writer.link(documentId: id, imageRef: image) }
                // MeSH: the raw tags (scheme "mesh", the field in `evidence`) and, through the mapping, the scheme's labels.
                var meshLabels: [String: String] = [:]
                for tag in report.mesh {
                    let colon = tag.firstIndex(of: ":") ?? tag.startIndex
                    let field = String(tag[..<colon])
                    let value = String(tag[tag.index(after: colon)...])
                    try writer.replace(Label(documentId: id, scheme: "mesh", observation: value, value: .positive,
                                             source: .mesh, evidence: field))
                    if field == "major", let mapping = meshMapping {
                        let term = value.split(separator: "/").first.map(String.init) ?? value
                        for m in mapping.labels(for: term.trimmingSpaces()) where meshLabels[m.label] == nil {
                            meshLabels[m.label] = m.ruleId
                        }
                    }
                }
                if !report.mesh.isEmpty, meshMapping != nil {
                    for (label, ruleId) in meshLabels {
                        try writer.replace(Label(documentId: id, scheme: schemeName, observation: label, value: .positive,
                                                 source: .mesh, ruleId: ruleId))
                    }
                    if let derived = scheme.derivedLabel, meshLabels[derived] == nil {
                        // A MeSH reader who tagged findings did not call the report normal.
                        if let v = scheme.derivedWhenFound {
                            try writer.replace(Label(documentId: id, scheme: schemeName, observation: derived, value: v, source: .mesh))
                        }
                    }
                }
                // ICD-10-CM codes: validated against the imported tabular list, never guessed.
                var icdLabels: [String: (String, String)] = [:]
                for raw in report.codes {
                    let code = ICD10.normalize(raw)
                    guard ICD10.isWellFormed(code), let codeId = self.codeIds?[code] else {
                        counters.bad += 1
                        let hint = (self.codeIds?.isEmpty ?? true) ? " (no codes imported: run `triage codes import` first)" : ""
                        warnings.append("\(report.origin): invalid ICD-10-CM code `\(raw)` in report \(report.externalId)\(hint); ignored")
                        continue
                    }
                    try writer.link(documentId: id, codeId: codeId)
                    for m in self.icdMapping?.labels(for: code) ?? [] where icdLabels[m.label] == nil {
                        icdLabels[m.label] = (code, m.ruleId)
                    }
                }
                for (label, (code, ruleId)) in icdLabels {
                    try writer.replace(Label(documentId: id, scheme: schemeName, observation: label, value: .positive,
                                             source: .icd, evidence: code, ruleId: ruleId))
                }
            }
            for message in warnings.dropFirst(warned) { self.warn(message) }
            warned = max(warned, warnings.count)
            try self.completeInTransaction?(writer, counters)
        }
        summary = counters
    }
}
