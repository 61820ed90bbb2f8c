import Corpus
import Foundation
import Mining

/// Options of `mine`: which inputs, how to read them, and which scheme labels them.
public struct MineOptions: Codable, Sendable {
    /// Directories (walked recursively), files and .tgz/.tar.gz/.gz archives.
    public var paths: [String]
    /// The labelling scheme.
    public var rules = RulesOptions()
    /// The input format, or `.auto` (from names and contents).
    public var format: InputFormat = .auto
    /// CSV/TSV: the column holding the report text.
    public var textColumn: String?
    /// CSV/TSV: the column holding the report id (default: note_id, id, filename, else the line number).
    public var idColumn: String?
    /// CSV/TSV: the column holding ICD-10-CM codes; they become labels with source icd.
    public var codesColumn: String?
    /// The sections to label (nil: the scheme's; empty: the whole text).
    public var sections: [String]?
    /// The documents' source name (default: each path's file name).
    public var source: String?
    /// Worker threads (nil: all cores).
    public var jobs: Int?
    /// Reports larger than this many UTF-8 bytes are skipped with a warning.
    public var maxReportBytes = 1 << 20
    /// Whether a folder walk follows the symbolic links inside it (by default they are reported and skipped).
    public var followSymlinks = false
    /// De-identify every report before it is labelled and stored (identifiers become `[**TYPE**]` tags).
    public var deid = false
    /// With `deid`: keep the text before de-identification in the corpus (table documentOriginal).
    public var keepOriginal = false
    /// The de-identification rules folder (nil: corpora/deid).
    public var deidRules: String?

    /// Options for mining `paths` with the defaults.
    public init(paths: [String]) { self.paths = paths }
}

/// What `mine` did: the miner's counts (the JSON), and what the text report names.
public struct MineResult: Encodable, Sendable {
    /// The counts.
    public var summary: MiningSummary
    /// Worker threads used.
    public var jobs: Int
    /// The rule set's version.
    public var ruleSetVersion: String
    /// The scheme's labels, in rule order.
    public var labels: [String]

    /// Encodes as the summary alone (the JSON `triage mine --json` has always printed).
    public func encode(to encoder: Encoder) throws { try summary.encode(to: encoder) }
}

extension Workspace {
    /// Mines weak labels from report archives into the corpus: idempotent, resumable, bad inputs
    /// warned about and counted (`summary.bad`), cancellation after the batch being written.
    public func mine(_ options: MineOptions, context: JobContext = .silent) throws -> MineResult {
        if let jobs = options.jobs, jobs < 1 { throw TriageError(.unusable, "jobs must be at least 1") }
        guard options.maxReportBytes >= 1 else { throw TriageError(.unusable, "the report size limit must be positive") }
        let made = try makeMiner(options, context: context)
        let summary = try run(made.miner, options, reader: readerOptions(options), context: context)
        return MineResult(summary: summary, jobs: made.miner.jobs, ruleSetVersion: made.version, labels: made.labels)
    }

    /// The miner of `options`: the scheme's rules and mappings (or the conditions lexicon), and
    /// de-identification when asked; with the rule set's version and the scheme's labels.
    func makeMiner(_ options: MineOptions, context: JobContext) throws -> (miner: Miner, version: String, labels: [String]) {
        if options.rules.scheme == MiningScheme.conditionsName {
            let made = try conditionsMiner(options, context: context)
            try prepare(made.miner, options)
            return (made.miner, made.version, [])
        }
        let rules = try options.rules.load()
        let folder = try options.rules.rulesFolder()
        let miner = Miner(rules: rules, sections: options.sections, corpus: try corpus(),
                          jobs: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        miner.maxReportBytes = options.maxReportBytes
        do {
            if let path = RuleSet.mappingFile("mesh", scheme: rules.scheme, rulesFolder: folder) {
                miner.meshMapping = try LabelMapping.load(path, kind: .meshTerm, labels: rules.labels)
            }
            if let path = RuleSet.mappingFile("icd10cm", scheme: rules.scheme, rulesFolder: folder) {
                miner.icdMapping = try LabelMapping.load(path, kind: .icdRange, labels: rules.labels)
            }
        } catch {
            throw TriageError(error)
        }
        try prepare(miner, options)
        return (miner, rules.version, rules.labels)
    }

    /// The reader options of a mining run.
    func readerOptions(_ options: MineOptions) -> ReaderOptions {
        var reader = ReaderOptions()
        reader.format = options.format
        reader.textColumn = options.textColumn
        reader.idColumn = options.idColumn
        reader.codesColumn = options.codesColumn
        reader.maxReportBytes = options.maxReportBytes
        reader.followSymlinks = options.followSymlinks
        return reader
    }

    /// De-identification, when asked: every report is rewritten before it is labelled.
    func prepare(_ miner: Miner, _ options: MineOptions) throws {
        if options.keepOriginal, !options.deid {
            throw TriageError(.unusable, "keeping the original text only applies to de-identified mining (--deid)")
        }
        if options.deid {
            let deidentifier = try Workspace.deidentifier(rulesFolder: options.deidRules)
            let keep = options.keepOriginal
            // Tags, not surrogates: the same note gives the same stored text, so re-runs stay idempotent.
            miner.rewrite = { report in
                var out = report
                out.text = deidentifier.deidentify(report.text, patient: report.externalId, replacement: .tag, key: 0).text
                if keep { out.original = report.text }
                return out
            }
        }
    }

    /// Progress, cancellation and the run itself, for any scheme.
    func run(_ miner: Miner, _ options: MineOptions, reader: ReaderOptions, context: JobContext) throws -> MiningSummary {
        miner.warn = { context.warn($0) }
        let meter = ProgressMeter(context, stage: "mining", unit: "reports", interval: 0.5)
        miner.progress = { meter.update(done: $0, total: nil) }
        miner.shouldStop = { context.isCancelled() }
        let summary: MiningSummary
        do { summary = try miner.mine(paths: options.paths, reader: ReportReader(options: reader), source: options.source) } catch {
            throw TriageError(error)
        }
        meter.finish(done: summary.reports, total: nil)
        if summary.interrupted {
            context.warn("interrupted: \(summary.reports) reports stored; run the same command again to resume")
        }
        return summary
    }

    /// `mine --scheme conditions`: the ICD-10-CM condition lexicon (the corpus's codes, else the
    /// tabular list of `tools/fetch-data`) with the notes' ConText rules (corpora/rules/notes-context.txt).
    func conditionsMiner(_ options: MineOptions, context: JobContext) throws -> (miner: Miner, version: String) {
        let folder = try options.rules.rulesFolder()
        let contextRules: ContextRuleSet
        do { contextRules = try ContextRuleSet.load(rulesFolder: folder) } catch { throw TriageError(error) }
        let (found, origin) = try codeLexicon(icd10: nil, rulesFile: nil, context: context)
        guard let lexicon = found else {
            throw TriageError(.unusable, "the conditions scheme needs the ICD-10-CM tabular list: run `triage codes import FILE` (or tools/fetch-data) first")
        }
        context.note("conditions from \(origin)")
        let version = "conditions@\(contextRules.version)+\(lexicon.termCount)-terms"
        let miner = Miner(scheme: .conditions(lexicon: lexicon, context: contextRules, version: version), corpus: try corpus(),
                          jobs: options.jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        miner.maxReportBytes = options.maxReportBytes
        return (miner, version)
    }
}
