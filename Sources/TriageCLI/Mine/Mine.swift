import ArgumentParser
import Foundation
import Mining
import TriageKit

/// `triage mine`: Mine weak labels from report archives into the corpus.
struct Mine: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Mine weak labels from report archives into the corpus.",
        discussion: """
        Reads directories (recursively), files, and .tgz/.tar.gz/.gz archives without \
        unpacking them. Formats are detected from names and contents: Open-i XML, CSV/TSV \
        (--text-column, --id-column), the CheXpert labeler's one-column CSV, MTSamples CSV, \
        plain text (one report per file). Each report gets one label per observation it \
        mentions (1 positive, 0 negative, -1 uncertain) with the sentence that justifies it. \
        Re-running adds nothing; changed reports are re-labelled; interrupted runs resume. \
        --scheme conditions labels clinical notes instead with the ICD-10-CM conditions they \
        mention (the lexicon of `triage codes import`, else the tabular list of tools/fetch-data), \
        each with its ConText attributes (negated, uncertain, historical, hypothetical, \
        experiencer) and the mention as evidence; the value is the patient's status (1 has or had \
        it, 0 negated or someone else's, -1 uncertain or hypothetical). --deid de-identifies every \
        note before it is labelled and stored.

        --enqueue (a PostgreSQL corpus) mines nothing: it splits the inputs into shards of \
        --shard-size work items (archive members, CSV rows, files of a folder) and records them \
        in the corpus's queue, for `triage worker` processes on any machine that sees the inputs \
        at the same absolute paths. Enqueueing an input again adds nothing; an input in which \
        nothing can be mined is refused with the reason, and then nothing is queued.

        Example: triage mine NLMCXR_reports.tgz --scheme chestxray14
        """)

    @OptionGroup var corpus: CorpusOptions
    @OptionGroup var scheme: SchemeOptions

    /// Work items per shard when --shard-size is not given: a few seconds of one worker's mining.
    static let defaultShardSize = 500

    @Argument(help: ArgumentHelp("Directories, files or archives to mine.", valueName: "path"))
    var paths: [String]

    @Option(help: "Input format.")
    var format: InputFormat = .auto

    @Option(help: "The CSV column holding the report text.") var textColumn: String?
    @Option(help: "The CSV column holding the report id (default: note_id, id, filename, else the line number).") var idColumn: String?
    @Option(help: "The CSV column holding ICD-10-CM codes (e.g. J18.9;I50.9); they become labels with source icd.") var codesColumn: String?
    @Option(help: "The sections to label, comma-separated (default: the scheme's, usually findings,impression; 'all' for the whole text).")
    var sections: String?
    @Option(help: "The documents' source name (default: each path's file name).") var source: String?
    @Option(help: "Worker threads (default: all cores).") var jobs: Int?
    @Option(help: "Reports larger than this many bytes are skipped with a warning.") var maxReportBytes = 1 << 20
    @Flag(help: "Read the files that symbolic links inside a folder point to (by default they are skipped and counted as bad).")
    var followSymlinks = false
    @Flag(help: "De-identify every note before it is labelled and stored: identifiers become [**TYPE**] tags (see `triage deid`).")
    var deid = false
    @Flag(help: "With --deid, also keep the original text in the corpus (table documentOriginal; protect the file).")
    var keepOriginal = false
    @Option(help: ArgumentHelp("The de-identification rules folder (default: $TRIAGE_DEID, else corpora/deid).", valueName: "dir"))
    var deidRules: String?
    @Flag(help: "Record the inputs as shards in the corpus's work queue for `triage worker` instead of mining them (PostgreSQL corpus).")
    var enqueue = false
    @Option(help: ArgumentHelp("With --enqueue: work items per shard (default: \(Mine.defaultShardSize)).", valueName: "items"))
    var shardSize: Int?
    @Flag(help: "Exit 0 even if some inputs were bad (they are still warned about and counted).") var keepGoing = false
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        guard maxReportBytes >= 1 else { throw ValidationError("--max-report-bytes must be positive.") }
        if keepOriginal && !deid { throw ValidationError("--keep-original applies only with --deid.") }
        if deidRules != nil && !deid { throw ValidationError("--deid-rules applies only with --deid.") }
        if shardSize != nil && !enqueue { throw ValidationError("--shard-size applies only with --enqueue.") }
        if let shardSize, shardSize < 1 { throw ValidationError("--shard-size must be at least 1.") }
    }

    func execute() throws {
        var options = MineOptions(paths: paths)
        options.rules = scheme.options
        options.format = format
        options.textColumn = textColumn
        options.idColumn = idColumn
        options.codesColumn = codesColumn
        options.sections = sections.map { s in
            s == "all" ? [] : s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        options.source = source
        options.jobs = jobs
        options.maxReportBytes = maxReportBytes
        options.followSymlinks = followSymlinks
        options.deid = deid
        options.keepOriginal = keepOriginal
        options.deidRules = deidRules
        if enqueue {
            let result = try corpus.workspace.enqueue(options, shardSize: shardSize ?? Mine.defaultShardSize,
                                                      context: Console.shared.context(quiet: quiet))
            try Console.shared.print(result, json: json)
            return
        }
        // Ctrl-C stops after the current batch (already committed); a second Ctrl-C kills at once.
        let result = try Interrupt.catching { isCancelled in
            try corpus.workspace.mine(options, context: Console.shared.context(quiet: quiet, isCancelled: isCancelled))
        }
        try Console.shared.print(result, json: json)
        try finish(bad: result.summary.bad, keepGoing: keepGoing, "\(result.summary.bad) bad input(s) skipped (see the warnings above)")
    }
}
