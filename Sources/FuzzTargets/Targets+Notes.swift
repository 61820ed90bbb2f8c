import Deid
import Foundation

// Clinical notes: what `triage deid` and `mine --deid` read.

/// The de-identification rules of the repository, loaded once.
nonisolated(unsafe) var deidentifier: Deidentifier?

func loadDeidentifier() {
    let folder = ProcessInfo.processInfo.environment["TRIAGE_DEID"] ?? repositoryPath("corpora/deid")
    do { deidentifier = Deidentifier(rules: try DeidRules.load(folder: folder)) } catch {
        FileHandle.standardError.write(Data("TriageFuzz: no de-identification rules at \(folder) (\(error))\n".utf8))
    }
}

let notesTargets: [FuzzTarget] = [
    FuzzTarget(name: "deid", maxLength: 64 << 10,
               summary: "PhysioNet deid records and notes (NoteReader.physionet, Deidentifier.deidentify and its spans)",
               setUp: loadDeidentifier) { data in
        guard let text = String(validating: data, as: UTF8.self) else { return }
        let notes = NoteReader.physionet(text, origin: "fuzz.text") { _ in }
        for note in notes.prefix(8) + [Note(id: "raw", patient: nil, note: nil, text: text, origin: "fuzz")] {
            guard let d = deidentifier else { return }
            // `deidentify` finds the spans as `find` does (the same findBytes and scalarSpans), so
            // its spans are checked here rather than finding them twice.
            let result = d.deidentify(note.text, patient: note.patient ?? note.id, replacement: .surrogate, key: 7)
            let scalars = note.text.unicodeScalars.count
            for s in result.spans where !(0 <= s.start && s.start < s.end && s.end <= scalars) {
                fatalError("span \(s) outside the note's \(scalars) scalars")
            }
        }
    },
]
