import ArgumentParser
import Deid
import Foundation
import Mining
import TriageKit

extension NoteFormat: ExpressibleByArgument {}
extension Replacement: ExpressibleByArgument {}

/// `triage deid`: de-identify clinical notes.
struct DeidCommand: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "deid",
        abstract: "De-identify clinical notes: find names, dates, ages over 89, numbers and places, and replace them.",
        discussion: """
        Finds the HIPAA Safe Harbor identifiers that occur in notes (names, all elements of dates \
        but the year, ages over 89, telephone and fax numbers, e-mail, URLs, IP addresses, SSNs, \
        record, account, licence and device numbers, street addresses, cities, ZIP codes, \
        hospitals and other facilities) with the rules and lexicons of corpora/deid, and replaces \
        them with [**TYPE**] tags or with surrogates (the same for the same identifier of one \
        patient; every date of a patient shifted by one offset, so intervals are kept). Formats: \
        one note per file (text), CSV columns (--text-column, --id-column, --patient-column), or \
        PhysioNet deid records (START_OF_RECORD=PATIENT||||NOTE|||| ... ||||END_OF_RECORD), \
        detected from the file when --format is not given. The de-identified notes go to \
        stdout in their input form; with --json one object per note: {"id", "patient", "note", \
        "spans": [{"start", "end", "type", "text"}...], "text"}, where start and end (exclusive) \
        count characters (Unicode code points) of the note's text. Bad records are warned about \
        with file:line and skipped (exit 1 unless --keep-going).

        Example: triage deid notes.text --format physionet --replace surrogate
        """)

    @Argument(help: ArgumentHelp("Files of notes (- = standard input).", valueName: "file"))
    var files: [String]
    @Option(help: "The input format (default: detected).")
    var format: NoteFormat?
    @Option(help: ArgumentHelp("The CSV column holding the note.", valueName: "column")) var textColumn: String?
    @Option(help: ArgumentHelp("The CSV column holding the note's id (default: the line).", valueName: "column")) var idColumn: String?
    @Option(help: ArgumentHelp("The CSV column holding the patient (surrogates and date shifts are per patient).", valueName: "column"))
    var patientColumn: String?
    @Option(name: .customLong("replace"), help: "Replace identifiers with [**TYPE**] tags or realistic surrogates.")
    var replacement: Replacement = .tag
    @Option(help: ArgumentHelp("The key surrogates and date shifts derive from (default: random per run; keep it secret).", valueName: "n"))
    var key: UInt64?
    @Option(help: ArgumentHelp("The de-identification rules folder (default: $TRIAGE_DEID, else corpora/deid).", valueName: "dir"))
    var rules: String?
    @Option(help: "Worker threads (default: all cores).") var jobs: Int?
    @Flag(help: "One JSON object per note, one per line.") var json = false
    @Flag(help: "Exit 0 even if some records were bad (they are still warned about and counted).") var keepGoing = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if format == .csv, textColumn == nil { throw ValidationError("--format csv needs --text-column.") }
        if (idColumn != nil || patientColumn != nil), textColumn == nil {
            throw ValidationError("--id-column and --patient-column need --text-column (a CSV input).")
        }
    }

    func execute() throws {
        var options = DeidOptions(paths: files)
        options.format = format ?? (textColumn != nil ? .csv : nil)
        options.textColumn = textColumn
        options.idColumn = idColumn
        options.patientColumn = patientColumn
        options.replacement = replacement
        options.key = key
        options.rulesFolder = rules
        options.jobs = jobs
        let console = Console.shared
        var csvHeader = false
        let summary = try Workspace().deid(options, context: console.context(quiet: quiet)) { note in
            if json {
                try console.json(note)
            } else if options.format == .csv {
                if !csvHeader {
                    console.write(patientColumn != nil ? "id,patient,text\n" : "id,text\n")
                    csvHeader = true
                }
                let fields = [note.id] + (patientColumn != nil ? [note.patient ?? ""] : []) + [note.text]
                console.write(fields.map(LabelTable.quote).joined(separator: ",") + "\n")
            } else {
                console.write(note.record(format: note.note != nil ? .physionet : .text))
            }
        }
        if !quiet {
            let types = summary.types.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            console.note(String(format: "de-identified %d notes in %.2f s (%.0f notes/s): %d identifiers", summary.notes,
                                summary.seconds, Double(summary.notes) / max(summary.seconds, 1e-9), summary.spans)
                         + (types.isEmpty ? "" : " (\(types))"))
        }
        try finish(bad: summary.bad, keepGoing: keepGoing, "\(summary.bad) bad record(s) skipped (see the warnings above)")
    }
}
