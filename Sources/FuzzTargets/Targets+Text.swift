import Foundation
import Inputs
import Mining
import Models
import TriageKit

// Reports, tables, rules and codes: what `triage mine`, `import csv` and `codes import` read.

/// The CheXpert scheme of the repository, loaded once; labels what the readers return.
nonisolated(unsafe) var labeler: Labeler?

/// The rules folder `triage` uses: `TRIAGE_RULES`, else the repository's `corpora/rules`.
func rulesFolder() -> String {
    ProcessInfo.processInfo.environment["TRIAGE_RULES"] ?? repositoryPath("corpora/rules")
}

func loadLabeler() {
    let folder = rulesFolder() + "/chexpert"
    do { labeler = Labeler(rules: try RuleSet.load(folder: folder)) } catch {
        FileHandle.standardError.write(Data("TriageFuzz: no rules at \(folder) (\(error)); reports are read but not labelled\n".utf8))
    }
}

/// The repository's notes-context rules, loaded once.
nonisolated(unsafe) var defaultContextRules: ContextRuleSet?

func loadDefaultContextRules() {
    let folder = rulesFolder()
    do { defaultContextRules = try Workspace().contextRules(folder: folder) } catch {
        FileHandle.standardError.write(Data("TriageFuzz: no context rules at \(folder) (\(error)); only custom rules are tried\n".utf8))
    }
}

/// Reads `path` as `triage mine` does and labels every report (the XML ones parsed as Open-i).
func mine(_ path: String, options: ReaderOptions = ReaderOptions()) {
    try? ReportReader(options: options).read(path: path) { item in
        switch item {
        case .report(let report):
            if report.text.utf8.count <= options.maxReportBytes { _ = labeler?.label(report.text) }
        case .xml(let origin, let data):
            if let report = try? ReportReader.openi(origin: origin, data: data) { _ = labeler?.label(report.text) }
        case .bad, .note:
            break
        }
    }
}

/// Walks every element of `node`: names, attributes, text (what any XML reader of Triage touches).
func walk(_ node: XMLNode, depth: Int = 0) {
    guard depth < 64 else { return }
    _ = node.name
    _ = node.attribute("id")
    _ = node.text
    node.forEachChild { walk($0, depth: depth + 1) }
}

/// Reads a table as `import csv` and `mine` do.
func table(_ data: Data, name: String, delimiter: Delimiter) {
    let path = Scratch.file(name, data)
    _ = try? CSVReader(origin: name, delimiter: delimiter).records(in: data)
    if let table = try? CSVTable.parse(data, path: name, delimiter: delimiter) {
        _ = table.validRows()
        if let text = table.header.first {
            _ = try? TextCorpus.examples(from: table, textColumn: text, labelColumn: table.header.dropFirst().first,
                                         idColumn: table.header.dropFirst(2).first)
        }
    }
    mine(path)
    var options = ReaderOptions()
    options.format = delimiter == .tab ? .tsv : .csv
    options.textColumn = "text"
    options.idColumn = "id"
    options.codesColumn = "codes"
    mine(path, options: options)
}

let textTargets: [FuzzTarget] = [
    FuzzTarget(name: "openi-xml", maxLength: 64 << 10,
               summary: "Open-i XML report (ReportReader.openi, XMLDocument walk, labelling)",
               setUp: loadLabeler) { data in
        if let doc = try? XMLDocument(data: data, origin: "fuzz.xml") {
            if let root = doc.root { walk(root) }
            _ = doc.xpath("//AbstractText")
        }
        if let report = try? ReportReader.openi(origin: "fuzz.xml", data: data) { _ = labeler?.label(report.text) }
    },
    FuzzTarget(name: "csv", maxLength: 64 << 10,
               summary: "CSV tables (CSVReader, CSVTable, TextCorpus.examples, mine's CSV/CheXpert/MTSamples readers)",
               setUp: loadLabeler) { data in
        table(data, name: "table.csv", delimiter: .comma)
    },
    FuzzTarget(name: "tsv", maxLength: 64 << 10,
               summary: "TSV tables (the same readers, tab-separated)",
               setUp: loadLabeler) { data in
        table(data, name: "table.tsv", delimiter: .tab)
    },
    FuzzTarget(name: "report-text", maxLength: 64 << 10,
               summary: "plain-text report: ReportReader (.txt), sections, sentences, labelling",
               setUp: loadLabeler) { data in
        mine(Scratch.file("report.txt", data))
        if let text = String(validating: data, as: UTF8.self) {
            _ = labeler?.judgeSentence(text)
            let lowered = TextScanner.lowered(text)
            let original = Array(text.utf8)
            lowered.withUnsafeBufferPointer { bytes in
                original.withUnsafeBufferPointer { orig in _ = labeler?.findSections(bytes, original: orig) }
            }
        }
    },
    FuzzTarget(name: "rules", maxLength: 64 << 10,
               summary: "rule files: scheme.txt %% ../text.txt %% ../context.txt %% tests.txt %% labels/<first line>.txt (@name: <name>.txt) ...",
               setUp: loadLabeler) { data in
        // Layout of the input: files separated by lines `%%`: scheme/scheme.txt, text.txt, context.txt,
        // scheme/tests.txt, then label files named by their first line.
        let files = parts(data, count: 24)
        let root = Scratch.emptyFolder("rules")
        let scheme = root + "/scheme"
        try? FileManager.default.createDirectory(atPath: scheme + "/labels", withIntermediateDirectories: true)
        let fixed = ["scheme/scheme.txt", "text.txt", "context.txt", "scheme/tests.txt"]
        for (k, part) in files.enumerated() {
            if k < fixed.count {
                Scratch.write(part, to: root + "/" + fixed[k])
                continue
            }
            var body = part
            let newline = body.firstIndex(of: 0x0A) ?? body.endIndex
            let label = String(decoding: body[body.startIndex..<newline], as: UTF8.self)
            guard !label.isEmpty, !label.contains("/"), label != ".", label != "..", label.utf8.count < 100,
                  !label.utf8.contains(0) else { continue }
            body = newline < body.endIndex ? body[(newline + 1)...] : Data()
            // `@name` is a file of the scheme folder (a lexicon, a context file), else a label file.
            let file = label.hasPrefix("@") ? scheme + "/" + label.dropFirst() + ".txt" : scheme + "/labels/" + label + ".txt"
            Scratch.write(body, to: file)
        }
        guard let rules = try? RuleSet.load(folder: scheme) else { return }
        let labeler = Labeler(rules: rules)
        for text in ["FINDINGS: No pleural effusion. Possible pneumonia in the left lower lobe.\nIMPRESSION: Cardiomegaly.",
                     "no evidence of pneumothorax or edema; heart size is normal; rule out fracture",
                     String(decoding: files.last ?? Data(), as: UTF8.self)] {
            _ = labeler.label(text)
        }
        _ = labeler.judgeSentence("there is no effusion but questionable atelectasis")
    },
    FuzzTarget(name: "context-tsv", maxLength: 64 << 10,
               summary: "conditions in sentences, as `triage context` reads them %% a notes-context rule file (ContextRuleSet, ContextAnnotator)",
               setUp: loadDefaultContextRules) { data in
        // Layout: the TSV, then optionally `%%` and a rule file that replaces notes-context.txt (loaded
        // once per input; the repository's rules once per process).
        let files = parts(data, count: 2)
        let tsv = Scratch.file("conditions.tsv", files.first ?? Data())
        var loaded = defaultContextRules
        if files.count > 1 {
            let folder = Scratch.emptyFolder("context-rules")
            Scratch.write(files[1], to: folder + "/" + ContextRuleSet.fileName)
            Scratch.write(Data("abbreviation: dr, mr\n".utf8), to: folder + "/text.txt")
            loaded = try? Workspace().contextRules(folder: folder)
        }
        if let rules = loaded {
            _ = try? Workspace().annotateContext(ContextOptions(file: tsv), rules: rules) { _ in }
            let text = String(decoding: files.first ?? Data(), as: UTF8.self)
            let n = text.utf8.count
            _ = ContextAnnotator(rules: rules).attributes(of: [0..<n, n / 3..<n / 2, n..<(n + 5)], inNote: text)
        }
    },
    FuzzTarget(name: "icd10-xml", maxLength: 256 << 10,
               summary: "ICD-10-CM tabular XML (ICD10.parse, as `codes import`)") { data in
        _ = try? ICD10.parse(path: Scratch.file("icd10cm_tabular.xml", data))
    },
]
