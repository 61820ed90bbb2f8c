import ArgumentParser
import Corpus
import Foundation
import Mining

/// Options every command that needs a labelling scheme shares.
struct SchemeOptions: ParsableArguments {
    @Option(help: "The labelling scheme: a folder of the rules folder (chexpert, chestxray14).")
    var scheme = "chestxray14"

    @Option(help: ArgumentHelp("The rules folder (default: $TRIAGE_RULES, else corpora/rules found from the working directory).",
                               valueName: "dir"))
    var rules: String?

    /// The rules folder, or an error that says how to point at one.
    func folder() throws -> String {
        guard let folder = RuleSet.rulesFolder(rules) else {
            Console.error("cannot find the rules folder corpora/rules; pass --rules DIR or set TRIAGE_RULES")
            throw ExitCode(2)
        }
        return folder
    }

    /// Loads and validates the scheme; rule errors name file:line.
    func load() throws -> RuleSet {
        do {
            return try RuleSet.load(scheme: scheme, rulesFolder: try folder())
        } catch let error as RuleError {
            Console.error("\(error)")
            throw ExitCode(2)
        }
    }
}

/// Set by the SIGINT handler of `triage mine`.
nonisolated(unsafe) var mineInterrupted = false

/// `triage mine`: Mine weak labels from report archives into the corpus.
struct Mine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Mine weak labels from report archives into the corpus.",
        discussion: """
        Reads directories (recursively), files, and .tgz/.tar.gz/.gz archives without \
        unpacking them. Formats are detected from names and contents: Open-i XML, CSV/TSV \
        (--text-column, --id-column), the CheXpert labeler's one-column CSV, MTSamples CSV, \
        plain text (one report per file). Each report gets one label per observation it \
        mentions (1 positive, 0 negative, -1 uncertain) with the sentence that justifies it. \
        Re-running adds nothing; changed reports are re-labelled; interrupted runs resume.

        Example: triage mine NLMCXR_reports.tgz --scheme chestxray14
        """)

    @OptionGroup var corpus: CorpusOptions
    @OptionGroup var scheme: SchemeOptions

    @Argument(help: ArgumentHelp("Directories, files or archives to mine.", valueName: "path"))
    var paths: [String]

    @Option(help: "Input format: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: String = "auto"

    @Option(help: "The CSV column holding the report text.") var textColumn: String?
    @Option(help: "The CSV column holding the report id (default: note_id, id, filename, else the line number).") var idColumn: String?
    @Option(help: "The CSV column holding ICD-10-CM codes (e.g. J18.9;I50.9); they become labels with source icd.") var codesColumn: String?
    @Option(help: "The sections to label, comma-separated (default: the scheme's, usually findings,impression; 'all' for the whole text).")
    var sections: String?
    @Option(help: "The documents' source name (default: each path's file name).") var source: String?
    @Option(help: "Worker threads (default: all cores).") var jobs: Int?
    @Option(help: "Reports larger than this many bytes are skipped with a warning.") var maxReportBytes = 1 << 20
    @Flag(help: "Exit 0 even if some inputs were bad (they are still warned about and counted).") var keepGoing = false
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        guard InputFormat(rawValue: format) != nil else {
            throw ValidationError("--format must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        guard maxReportBytes >= 1 else { throw ValidationError("--max-report-bytes must be positive.") }
    }

    func run() throws {
        let rules = try scheme.load()
        let store = try corpus.open()
        var options = ReaderOptions()
        options.format = InputFormat(rawValue: format) ?? .auto
        options.textColumn = textColumn
        options.idColumn = idColumn
        options.codesColumn = codesColumn
        options.maxReportBytes = maxReportBytes
        let chosenSections: [String]? = sections.map { s in
            s == "all" ? [] : s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        let miner = Miner(rules: rules, sections: chosenSections, corpus: store,
                          jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        miner.maxReportBytes = maxReportBytes
        let folder = try scheme.folder()
        do {
            if let path = RuleSet.mappingFile("mesh", scheme: rules.scheme, rulesFolder: folder) {
                miner.meshMapping = try LabelMapping.load(path, kind: .meshTerm, labels: rules.labels)
            }
            if let path = RuleSet.mappingFile("icd10cm", scheme: rules.scheme, rulesFolder: folder) {
                miner.icdMapping = try LabelMapping.load(path, kind: .icdRange, labels: rules.labels)
            }
        } catch let error as RuleError {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        var warnings = 0
        miner.warn = { message in
            warnings += 1
            if warnings <= 50 { Console.warning(message) } else if warnings == 51 { Console.warning("(further warnings not shown)") }
        }
        let started = Date()
        if !quiet {
            miner.progress = { n in
                let s = Date().timeIntervalSince(started)
                FileHandle.standardError.write(Data(String(format: "\r%d reports, %.0f reports/s", n, s > 0 ? Double(n) / s : 0).utf8))
            }
        }
        // Ctrl-C stops after the current batch (already committed); a second Ctrl-C kills at once.
        signal(SIGINT) { _ in
            mineInterrupted = true
            signal(SIGINT, SIG_DFL)
        }
        miner.shouldStop = { mineInterrupted }
        let summary = try miner.mine(paths: paths, reader: ReportReader(options: options), source: source)
        signal(SIGINT, SIG_DFL)
        if summary.interrupted {
            Console.warning("interrupted: \(summary.reports) reports stored; run the same command again to resume")
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        if json {
            try Console.printJSON(summary)
        } else {
            print(String(format: "%d reports in %.2f s (%.0f reports/s, %d jobs; %.2f CPU s = %.0f reports/s per core): %d new, %d changed, %d re-labelled, %d unchanged, %d bad, %d empty",
                         summary.reports, summary.seconds, Double(summary.reports) / max(summary.seconds, 1e-9), miner.jobs,
                         summary.cpuSeconds, Double(summary.reports) / max(summary.cpuSeconds, 1e-9),
                         summary.inserted, summary.updated, summary.relabelled, summary.unchanged, summary.bad, summary.empty))
            print("rules \(rules.version), \(summary.labels) labels written")
            if !summary.counts.isEmpty {
                let width = rules.labels.map(\.count).max() ?? 10
                print("label".padding(toLength: width, withPad: " ", startingAt: 0) + "  positive  uncertain  negative")
                for label in rules.labels {
                    let c = summary.counts[label] ?? [:]
                    print(label.padding(toLength: width, withPad: " ", startingAt: 0)
                          + String(format: "  %8d  %9d  %8d", c["positive"] ?? 0, c["uncertain"] ?? 0, c["negative"] ?? 0))
                }
            }
        }
        if summary.bad > 0 {
            Console.warning("\(summary.bad) bad input(s) skipped (see the warnings above)")
            if !keepGoing { throw ExitCode(1) }
        }
    }
}
