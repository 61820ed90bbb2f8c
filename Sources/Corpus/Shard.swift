import Foundation

/// The state of a shard of the work queue (`shard.state`).
public enum ShardState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Claimed by a worker, which heartbeats while it mines it.
    case running
    /// Mined: its documents and labels landed in the transaction that marked it done.
    case done
    /// Stopped by an error, which is kept; `triage jobs retry` queues it again.
    case failed
}

/// A shard to record: a range of the work items of one input (archive members, CSV rows, files of
/// a folder, in the order the report reader reads them).
public struct NewShard: Sendable, Equatable {
    /// The first item (0-based) and how many.
    public var firstItem: Int, itemCount: Int

    public init(firstItem: Int, itemCount: Int) {
        self.firstItem = firstItem
        self.itemCount = itemCount
    }
}

/// What a queued input is and how to mine it: what the input as enqueued and every shard claimed
/// from it share (the columns `input` ... `rulesetversion` of the table `shard`).
public struct ShardInput: Sendable, Equatable {
    /// The input's absolute path (every worker must see it at this path).
    public var path: String
    /// The documents' source name.
    public var source: String
    /// The scheme that labels it.
    public var scheme: String
    /// The mining options (JSON; the application layer encodes and reads them).
    public var options: String
    /// What the input was when it was split (size and modification time of a file; empty for a folder).
    public var fingerprint: String
    /// The rule set version the enqueuer had; a worker with other rules refuses the shard.
    public var ruleSetVersion: String

    public init(path: String, source: String, scheme: String, options: String, fingerprint: String, ruleSetVersion: String) {
        self.path = path
        self.source = source
        self.scheme = scheme
        self.options = options
        self.fingerprint = fingerprint
        self.ruleSetVersion = ruleSetVersion
    }

    /// The columns that hold it, in the order of `values`.
    static let columns = "input, source, scheme, options, fingerprint, rulesetversion"

    /// Its values for `columns`.
    var values: [CorpusValue] { [.text(path), .text(source), .text(scheme), .text(options), .text(fingerprint), .text(ruleSetVersion)] }

    /// Read from `row`'s `columns`, starting at column `first`.
    init(row: CorpusRow, from first: Int) throws {
        self.init(path: try row.text(first), source: try row.text(first + 1), scheme: try row.text(first + 2),
                  options: try row.text(first + 3), fingerprint: try row.text(first + 4), ruleSetVersion: try row.text(first + 5))
    }
}

/// One input of the work queue, split into shards.
public struct QueuedInput: Sendable {
    public var input: ShardInput
    /// The shards, in item order.
    public var shards: [NewShard]

    public init(_ input: ShardInput, shards: [NewShard]) {
        self.input = input
        self.shards = shards
    }
}

/// A shard claimed by a worker: what to mine, and the claim that proves it is still this worker's.
public struct ClaimedShard: Sendable {
    public var id: Int64
    public var input: ShardInput
    public var firstItem: Int
    public var itemCount: Int
    /// The id reserved for the document of the first item (the k-th item's is this + k).
    public var firstDocumentId: Int64
    /// How many items its input has (all its shards'): with `firstDocumentId` and `firstItem`, the
    /// document ids reserved for the whole input (`reservedIds`).
    public var inputItems: Int
    /// How many times it has been claimed (this claim included).
    public var attempts: Int
    /// Random per claim: marking the shard done or failed, and heartbeats, need it.
    public var claim: String

    /// Its items (0-based, in the order the input's reader reads them).
    public var items: Range<Int> { firstItem..<(firstItem + itemCount) }

    /// The document ids reserved for its input's items, in input order (this shard's among them).
    public var reservedIds: Range<Int64> {
        let first = firstDocumentId - Int64(firstItem)
        return first..<(first + Int64(max(inputItems, firstItem + itemCount)))
    }
}

/// Where a worker's reader of an input stands: the worker would rather claim that input's next
/// queued shard from `nextItem` on, so that its reader only moves forward.
public struct ShardPosition: Sendable, Equatable {
    public var input: ShardInput
    public var nextItem: Int

    public init(input: ShardInput, nextItem: Int) {
        self.input = input
        self.nextItem = nextItem
    }
}

/// What a worker's transaction records about a mined shard.
public struct ShardOutcome: Sendable {
    public var reports: Int, labels: Int, bad: Int
    /// The warnings of bad items (file:line and why), the first few.
    public var warnings: String?

    public init(reports: Int, labels: Int, bad: Int, warnings: String?) {
        self.reports = reports
        self.labels = labels
        self.bad = bad
        self.warnings = warnings
    }
}

/// The queue's state: shard and item counts per state, what the done shards mined, and the failures.
public struct ShardQueueCounts: Sendable, Codable, Equatable {
    public var shards: [String: Int] = [:]
    public var items: [String: Int] = [:]
    /// Reports, labels and bad items of the done shards.
    public var reports = 0, labels = 0, bad = 0
    /// The first claim and the last finish of a done shard (server time), and the server's now.
    public var firstClaimed: Date?, lastFinished: Date?, now: Date?
    /// Running shards without a heartbeat for the staleness given (they return to the queue).
    public var stale = 0
    /// The workers holding a running shard.
    public var workers: [String] = []
    /// The failed shards with their errors (the first 100).
    public var failures: [ShardFailure] = []

    public init() {}
}

/// A failed shard and why.
public struct ShardFailure: Sendable, Codable, Equatable {
    public var id: Int64
    public var input: String
    public var firstItem: Int, itemCount: Int
    public var attempts: Int
    public var error: String
}

/// What `Corpus.enqueue` did with an input.
public enum EnqueueOutcome: Sendable, Equatable {
    /// Its shards were recorded.
    case added(Int)
    /// Shards of the same input, source and scheme were already recorded: nothing was added.
    case alreadyQueued(shards: Int, states: [String: Int])
}

extension Corpus {
    /// Why the queue is not available: it needs a server's row locks (`FOR UPDATE SKIP LOCKED`).
    static let queueNeedsServer = "the work queue needs a PostgreSQL corpus (--db postgres://...): workers on several machines claim shards with row locks; mine an SQLite corpus with `triage mine` directly"

    /// Runs `body` in a short server transaction that does not wait for the writers' turn.
    private func queueTransaction<T>(_ body: (any CorpusServerConnection) throws -> T) throws -> T {
        guard let server else { throw CorpusError(path: path, Corpus.queueNeedsServer) }
        return try server.queueTransaction(body)
    }

    /// Records `input`'s shards, unless shards of the same input, source and scheme exist (then
    /// nothing is added: enqueueing twice does not double the work).
    public func enqueue(_ queued: QueuedInput) throws -> EnqueueOutcome {
        guard server != nil else { throw CorpusError(path: path, Corpus.queueNeedsServer) }
        return try write { writer in
            let server = try writer.serverSession()
            let existing = try server.query("SELECT state, COUNT(*) FROM shard WHERE input = ? AND source = ? AND scheme = ? GROUP BY state",
                                            [.text(queued.input.path), .text(queued.input.source), .text(queued.input.scheme)])
            if !existing.isEmpty {
                var states: [String: Int] = [:]
                for row in existing { states[try row.text(0)] = Int(try row.integer(1)) }
                return .alreadyQueued(shards: states.values.reduce(0, +), states: states)
            }
            // Document ids for every item, reserved in input order: the workers store each document with
            // its item's id, so that documents sort (and export) as one process mining the input stores them.
            let items = queued.shards.map { $0.firstItem + $0.itemCount }.max() ?? 0
            guard let first = try server.query("SELECT nextval(pg_get_serial_sequence('document', 'id'))", []).first?.integer(0) else {
                throw CorpusError(path: server.location, "the server returned no document id to reserve")
            }
            if items > 1 {
                try server.execute("SELECT setval(pg_get_serial_sequence('document', 'id'), ?)", [.integer(first + Int64(items) - 1)])
            }
            var added = 0
            let inputValues = queued.input.values
            for chunk in queued.shards.chunks(of: 1_000) {
                var arguments: [CorpusValue] = []
                for shard in chunk {
                    arguments += inputValues + [.integer(Int64(shard.firstItem)), .integer(Int64(shard.itemCount)),
                                                .integer(first + Int64(shard.firstItem))]
                }
                added += try server.execute("""
                    INSERT INTO shard (\(ShardInput.columns), firstitem, itemcount, firstdocumentid)
                    VALUES \(ServerSession.placeholders(rows: chunk.count, columns: 9))
                    ON CONFLICT (input, source, scheme, firstitem) DO NOTHING
                    """, arguments)
            }
            return .added(added)
        }
    }

    /// Claims a shard: with `position`, the first queued shard of that input from its next item on
    /// (the worker's reader then only moves forward); else, or when that input has none left, the
    /// first queued shard, or a running one whose worker sent no heartbeat for `staleAfter` seconds
    /// (it died); nil when there is none. Other workers' claims are skipped, not waited for
    /// (`FOR UPDATE SKIP LOCKED`).
    public func claimShard(worker: String, staleAfter: Double, after position: ShardPosition? = nil) throws -> ClaimedShard? {
        let claim = UUID().uuidString.lowercased()
        return try queueTransaction { connection in
            var found: CorpusRow?
            if let position {
                // The unique index (input, source, scheme, firstitem) finds it.
                found = try connection.query("""
                    SELECT id FROM shard WHERE state = 'queued' AND input = ? AND source = ? AND scheme = ? AND firstitem >= ?
                    ORDER BY firstitem LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, [.text(position.input.path), .text(position.input.source), .text(position.input.scheme),
                          .integer(Int64(position.nextItem))]).first
            }
            if found == nil {
                found = try connection.query("""
                    SELECT id FROM shard
                    WHERE state = 'queued' OR (state = 'running' AND heartbeatat < now() - make_interval(secs => ?))
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, [.real(staleAfter)]).first
            }
            guard let id = try found?.integer(0) else { return nil }
            let claimed = try connection.query("""
                UPDATE shard SET state = 'running', worker = ?, claim = ?, attempts = attempts + 1, error = NULL,
                                 claimedat = now(), heartbeatat = now()
                WHERE id = ?
                RETURNING id, firstitem, itemcount, attempts, firstdocumentid,
                    (SELECT MAX(s.firstitem + s.itemcount) FROM shard s
                     WHERE s.input = shard.input AND s.source = shard.source AND s.scheme = shard.scheme),
                    \(ShardInput.columns)
                """, [.text(worker), .text(claim), .integer(id)])
            guard let r = claimed.first else { return nil }
            return ClaimedShard(id: try r.integer(0), input: try ShardInput(row: r, from: 6),
                                firstItem: Int(try r.integer(1)), itemCount: Int(try r.integer(2)),
                                firstDocumentId: try r.integer(4), inputItems: Int(try r.integer(5)),
                                attempts: Int(try r.integer(3)), claim: claim)
        }
    }

    /// Says that the worker holding `shard` is alive; false when the claim was lost (the shard was
    /// taken back as stale and claimed again).
    public func heartbeat(_ shard: ClaimedShard) throws -> Bool {
        try queueTransaction { connection in
            try connection.execute("UPDATE shard SET heartbeatat = now() WHERE id = ? AND claim = ? AND state = 'running'",
                                   [.integer(shard.id), .text(shard.claim)]) == 1
        }
    }

    /// Marks `shard` failed with `error`, unless the claim was lost meanwhile.
    public func failShard(_ shard: ClaimedShard, error: String) throws {
        _ = try queueTransaction { connection in
            try connection.execute("""
                UPDATE shard SET state = 'failed', error = ?, finishedat = now() WHERE id = ? AND claim = ? AND state = 'running'
                """, [.text(error), .integer(shard.id), .text(shard.claim)])
        }
    }

    /// Queues the failed shards again (all of them, or those of `ids`); returns how many.
    public func retryFailedShards(ids: [Int64]? = nil) throws -> Int {
        try queueTransaction { connection in
            if let ids {
                guard !ids.isEmpty else { return 0 }
                return try connection.execute("""
                    UPDATE shard SET state = 'queued', worker = NULL, claim = NULL, finishedat = NULL
                    WHERE state = 'failed' AND id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))
                    """, ids.map { .integer($0) })
            }
            return try connection.execute("UPDATE shard SET state = 'queued', worker = NULL, claim = NULL, finishedat = NULL WHERE state = 'failed'", [])
        }
    }

    /// The queue's counts; running shards without a heartbeat for `staleAfter` seconds count as stale.
    public func shardQueueCounts(staleAfter: Double) throws -> ShardQueueCounts {
        try queueTransaction { connection in
            var counts = ShardQueueCounts()
            for row in try connection.query("""
                SELECT state, COUNT(*), COALESCE(SUM(itemcount), 0), COALESCE(SUM(reports), 0), COALESCE(SUM(labels), 0),
                       COALESCE(SUM(bad), 0)
                FROM shard GROUP BY state
                """, []) {
                let state = try row.text(0)
                counts.shards[state] = Int(try row.integer(1))
                counts.items[state] = Int(try row.integer(2))
                if state == ShardState.done.rawValue {
                    counts.reports = Int(try row.integer(3))
                    counts.labels = Int(try row.integer(4))
                    counts.bad = Int(try row.integer(5))
                }
            }
            if let row = try connection.query("""
                SELECT (SELECT MIN(claimedat) FROM shard WHERE state = 'done'), (SELECT MAX(finishedat) FROM shard WHERE state = 'done'),
                       now(), (SELECT COUNT(*) FROM shard WHERE state = 'running' AND heartbeatat < now() - make_interval(secs => ?))
                """, [.real(staleAfter)]).first {
                counts.firstClaimed = try row.optionalDate(0)
                counts.lastFinished = try row.optionalDate(1)
                counts.now = try row.optionalDate(2)
                counts.stale = Int(try row.integer(3))
            }
            counts.workers = try connection.query("SELECT DISTINCT worker FROM shard WHERE state = 'running' ORDER BY worker", [])
                .compactMap { try $0.optionalText(0) }
            counts.failures = try connection.query("""
                SELECT id, input, firstitem, itemcount, attempts, COALESCE(error, '') FROM shard WHERE state = 'failed' ORDER BY id LIMIT 100
                """, []).map { r in
                ShardFailure(id: try r.integer(0), input: try r.text(1), firstItem: Int(try r.integer(2)), itemCount: Int(try r.integer(3)),
                             attempts: Int(try r.integer(4)), error: try r.text(5))
            }
            return counts
        }
    }
}

extension Corpus.Writer {
    /// The server session of a writer on a server corpus (the queue exists only there).
    func serverSession() throws -> ServerSession {
        guard let server else { throw CorpusError(path: "?", Corpus.queueNeedsServer) }
        return server
    }

    /// Marks `shard` done with what it mined, in the transaction that writes its documents and
    /// labels: both land or neither does. Throws when the claim was lost (another worker took the
    /// shard back as stale), so that this transaction rolls back and the shard is mined once.
    public func completeShard(_ shard: ClaimedShard, _ outcome: ShardOutcome) throws {
        let server = try serverSession()
        let changed = try server.execute("""
            UPDATE shard SET state = 'done', reports = ?, labels = ?, bad = ?, warnings = ?, finishedat = now(), heartbeatat = now()
            WHERE id = ? AND claim = ? AND state = 'running'
            """, [.integer(Int64(outcome.reports)), .integer(Int64(outcome.labels)), .integer(Int64(outcome.bad)),
                  outcome.warnings.map { .text($0) } ?? .null, .integer(shard.id), .text(shard.claim)])
        guard changed == 1 else { throw ShardClaimLost(shard: shard.id) }
    }
}

/// A worker's claim on a shard was lost (its heartbeat stopped for longer than the staleness limit
/// and another worker took the shard): the transaction that would have marked it done rolls back.
public struct ShardClaimLost: Error, CustomStringConvertible, Sendable {
    public let shard: Int64
    public var description: String {
        "shard \(shard) is no longer this worker's (no heartbeat for longer than the staleness limit, and another worker claimed it); its writes were rolled back"
    }
}
