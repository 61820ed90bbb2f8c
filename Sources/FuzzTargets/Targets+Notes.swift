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
               summary: "PhysioNet deid records and notes (NoteReader.physionet, Deidentifier.find and deidentify)",
               setUp: loadDeidentifier) { data in
        guard let text = String(validating: data, as: UTF8.self) else { return }
        let notes = NoteReader.physionet(text, origin: "fuzz.text") { _ in }
        for note in notes.prefix(8) + [Note(id: "raw", patient: nil, note: nil, text: text, origin: "fuzz")] {
            guard let d = deidentifier else { return }
            let spans = d.find(note.text)
            let scalars = note.text.unicodeScalars.count
            for s in spans where !(0 <= s.start && s.start < s.end && s.end <= scalars) {
                fatalError("span \(s) outside the note's \(scalars) scalars")
            }
            _ = d.deidentify(note.text, patient: note.patient ?? note.id, replacement: .surrogate, key: 7)
        }
    },
]
