import Deid
import Foundation
import Inputs

/// Options of `deid`: which notes, in which format, and how identifiers are replaced.
public struct DeidOptions: Codable, Sendable {
    /// Files of notes (`-`: standard input).
    public var paths: [String]
    /// The format (nil: PhysioNet records when the file starts with `START_OF_RECORD=`, CSV for
    /// .csv/.tsv names or when a text column is given, else one note per file).
    public var format: NoteFormat?
    /// CSV: the columns of the text, the id and the patient.
    public var textColumn: String?
    public var idColumn: String?
    public var patientColumn: String?
    /// Tags or surrogates.
    public var replacement: Replacement = .tag
    /// The key surrogates and date shifts derive from (nil: a random one per run, so shifts cannot
    /// be undone; give one to get the same surrogates on a later run).
    public var key: UInt64?
    /// The rules folder (nil: `corpora/deid`, found as `DeidRules.folder` does).
    public var rulesFolder: String?
    /// Worker threads (nil: all cores).
    public var jobs: Int?

    /// Options de-identifying `paths` with the defaults.
    public init(paths: [String]) { self.paths = paths }
}

/// One de-identified note, as `deid --json` prints it.
public struct DeidentifiedNote: Codable, Sendable, Equatable {
    public var id: String
    public var patient: String?
    public var note: String?
    /// Offsets in Unicode scalars of the note's text (PhysioNet: after its first line's newline).
    public var spans: [PHISpan]
    /// The de-identified text.
    public var text: String

    enum CodingKeys: String, CodingKey { case id, patient, note, spans, text }

    /// Every key, `null` where the input names no patient or note.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        if let patient { try c.encode(patient, forKey: .patient) } else { try c.encodeNil(forKey: .patient) }
        if let note { try c.encode(note, forKey: .note) } else { try c.encodeNil(forKey: .note) }
        try c.encode(spans, forKey: .spans)
        try c.encode(text, forKey: .text)
    }

    /// The note as the input format writes it: a PhysioNet record, or the text alone.
    public func record(format: NoteFormat) -> String {
        switch format {
        case .physionet: return "START_OF_RECORD=\(patient ?? id)||||\(note ?? id)||||\n\(text)||||END_OF_RECORD\n"
        case .text, .csv: return text.hasSuffix("\n") ? text : text + "\n"
        }
    }
}

/// What `deid` did.
public struct DeidSummary: Codable, Sendable {
    /// Notes read and de-identified; records skipped (each warned about with file:line).
    public var notes = 0, bad = 0
    /// Identifiers found, in all and by type.
    public var spans = 0
    public var types: [String: Int] = [:]
    public var seconds = 0.0
}

extension Workspace {
    /// Loads the de-identification rules (`folder`, else `corpora/deid`), with an error that says where they are looked for.
    public static func deidentifier(rulesFolder: String?) throws -> Deidentifier {
        guard let folder = DeidRules.folder(rulesFolder) else {
            throw TriageError(.unusable, "no de-identification rules: corpora/deid was not found in the working directory or above it, next to the executable or the source tree; set TRIAGE_DEID or --rules")
        }
        do { return Deidentifier(rules: try DeidRules.load(folder: folder)) } catch { throw TriageError(error) }
    }

    /// De-identifies every note of `options.paths`; `emit` receives each in input order.
    public func deid(_ options: DeidOptions, context: JobContext = .silent,
                     emit: (DeidentifiedNote) throws -> Void) throws -> DeidSummary {
        guard !options.paths.isEmpty else { throw TriageError(.unusable, "no notes: give one or more files (- for standard input)") }
        if options.idColumn != nil || options.patientColumn != nil, options.textColumn == nil, options.format != .physionet {
            if options.format == .csv || options.format == nil {
                throw TriageError(.unusable, "--id-column and --patient-column need --text-column (a CSV input)")
            }
        }
        let deidentifier = try Workspace.deidentifier(rulesFolder: options.rulesFolder)
        let key = options.key ?? UInt64.random(in: 1...UInt64.max)
        let threads = options.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        let started = Date()
        var summary = DeidSummary()
        let meter = ProgressMeter(context, stage: "de-identifying", unit: "notes")
        for path in options.paths {
            let notes: [Note]
            do {
                notes = try readNotes(path, options: options) { problem in
                    summary.bad += 1
                    context.warn(problem.description)
                }
            } catch let error as TriageError where options.paths.count > 1 {
                // One unreadable file of several is skipped and counted, as `mine` does.
                summary.bad += 1
                context.warn("\(error.description); file skipped")
                continue
            }
            let replacement = options.replacement
            try OrderedParallel.map(notes, threads: threads, { note -> DeidentifiedNote in
                let result = deidentifier.deidentify(note.text, patient: note.patient ?? note.id, replacement: replacement, key: key)
                return DeidentifiedNote(id: note.id, patient: note.patient, note: note.note, spans: result.spans, text: result.text)
            }, deliver: { _, out in
                summary.notes += 1
                summary.spans += out.spans.count
                for s in out.spans { summary.types[s.type.rawValue, default: 0] += 1 }
                try emit(out)
                if summary.notes % 100 == 0 { meter.update(done: summary.notes, total: nil) }
            })
            if context.isCancelled() { break }
        }
        meter.finish(done: summary.notes, total: nil)
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// The notes of one file in its format.
    func readNotes(_ path: String, options: DeidOptions, bad: (InputError) -> Void) throws -> [Note] {
        let name = InputFile.displayName(path)
        let data: Data
        do { data = try InputFile.read(path) } catch { throw TriageError(error) }
        let lowered = name.lowercased()
        let format = options.format ?? {
            if data.starts(with: Array("START_OF_RECORD=".utf8)) { return .physionet }
            if options.textColumn != nil || lowered.hasSuffix(".csv") || lowered.hasSuffix(".tsv")
                || lowered.hasSuffix(".csv.gz") || lowered.hasSuffix(".tsv.gz") { return .csv }
            return .text
        }()
        switch format {
        case .csv:
            guard let textColumn = options.textColumn else {
                throw TriageError(.unusable, "\(name) is read as CSV: name the column of the notes with --text-column", file: name)
            }
            let delimiter: Delimiter = lowered.hasSuffix(".tsv") || lowered.hasSuffix(".tsv.gz") ? .tab : .comma
            do {
                let table = try CSVTable.parse(data, path: name, delimiter: delimiter)
                return try NoteReader.csv(table, textColumn: textColumn, idColumn: options.idColumn,
                                          patientColumn: options.patientColumn, bad: bad)
            } catch { throw TriageError(error) }
        case .physionet, .text:
            guard let text = String(validating: data, as: UTF8.self), !data.contains(0) else {
                throw TriageError(.unusable, "not UTF-8 text, or holds a NUL byte (convert the file with iconv)", file: name)
            }
            if format == .physionet { return NoteReader.physionet(text, origin: name, bad: bad) }
            let id = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
            return [Note(id: id, patient: nil, note: nil, text: text, origin: name)]
        }
    }
}
