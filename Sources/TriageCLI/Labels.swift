import ArgumentParser
import Corpus
import Foundation
import Mining

/// `triage labels`: Export, evaluate and compare mined labels.
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Export, evaluate and compare mined labels.",
        subcommands: [Export.self, EvaluateLabels.self, Agreement.self, NegEx.self])

    /// `triage labels export`: CheXpert-style CSV (or JSON lines) to stdout.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the labels of a scheme as CSV: the report id, then 1, 0, -1 or empty per label.")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: "Which reader's labels: rules, mesh, icd, human, model.") var source = "rules"
        @Option(help: "csv, jsonl, or chexpert (the CheXpert labeler's own output: report text, then 1.0/0.0/-1.0/empty).") var format = "csv"
        @Option(help: "Only the documents of this source (archive or file name).") var documentSource: String?

        func validate() throws {
            guard LabelSource(rawValue: source) != nil else { throw ValidationError("--source must be one of \(LabelSource.allCases.map(\.rawValue).joined(separator: ", ")).") }
            guard ["csv", "jsonl", "chexpert"].contains(format) else { throw ValidationError("--format must be csv, jsonl or chexpert.") }
        }

        func run() throws {
            let rules = try scheme.load()
            let store = try corpus.open()
            let table = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels,
                                            source: LabelSource(rawValue: source) ?? .rules, documentSource: documentSource)
            if table.rows.isEmpty {
                Console.warning("no labels of scheme \(rules.scheme) from source \(source) in \(store.path); run `triage mine` first")
            }
            let output: String
            switch format {
            case "jsonl": output = try table.jsonLines()
            case "chexpert": output = table.chexpertCSV(texts: try LabelTable.texts(corpus: store, documentSource: documentSource))
            default: output = table.csv()
            }
            FileHandle.standardOutput.write(Data(output.utf8))
        }
    }

    /// `triage labels evaluate`: precision, recall and F1 against a gold file.
    struct EvaluateLabels: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Score mined labels against a gold file: per-label precision, recall and F1, micro and macro.",
            discussion: "The gold file is CSV: the report id, then one 0/1 column per label (the format of openi_labels_dev.csv). Labels without a positive in the gold file are left out of the macro average (their F1 is undefined).")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: ArgumentHelp("The gold CSV.", valueName: "file")) var gold: String
        @Option(help: "Count uncertain (-1) predictions as positive or negative.") var uncertain = "positive"
        @Option(help: "Which reader's labels to score: rules, mesh, icd, human, model.") var source = "rules"
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard ["positive", "negative"].contains(uncertain) else { throw ValidationError("--uncertain must be positive or negative.") }
            guard LabelSource(rawValue: source) != nil else { throw ValidationError("--source must be one of \(LabelSource.allCases.map(\.rawValue).joined(separator: ", ")).") }
        }

        func run() throws {
            let rules = try scheme.load()
            let store = try corpus.open()
            let goldTable: LabelEvaluation.Gold
            do { goldTable = try LabelEvaluation.readGold(gold, schemeLabels: rules.labels) } catch let e as RuleError {
                Console.error("\(e)"); throw ExitCode(2)
            } catch { Console.error("\(gold): \(error)"); throw ExitCode(2) }
            let table = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels,
                                            source: LabelSource(rawValue: source) ?? .rules)
            let report = LabelEvaluation.evaluate(table, gold: goldTable, uncertainIsPositive: uncertain == "positive")
            if report.reports == 0 {
                Console.error("none of the \(goldTable.rows.count) gold reports is in the corpus with \(source) labels of \(rules.scheme); mine them first")
                throw ExitCode(1)
            }
            if report.missing > 0 { Console.warning("\(report.missing) gold reports are not in the corpus; scored the other \(report.reports)") }
            if json {
                try Console.printJSON(report)
                return
            }
            let width = max(12, goldTable.labels.map(\.count).max() ?? 0)
            print("label".padding(toLength: width, withPad: " ", startingAt: 0) + "  gold+  precision  recall     F1")
            for s in report.scores + [report.micro] {
                let f1 = s.defined ? String(format: "%.3f", s.f1) : "  n/a"
                print(s.label.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "  %5d  %9.3f  %6.3f  ", s.goldPositives, s.precision, s.recall) + f1)
            }
            print(String(format: "micro-F1 %.4f  macro-F1 %.4f (over %d labels)  reports %d  uncertain=%@",
                         report.micro.f1, report.macroF1, report.macroLabels, report.reports, uncertain))
        }
    }

    /// `triage labels agreement`: Cohen's kappa per label between two sources.
    struct Agreement: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cohen's kappa per label between two label sources (e.g. rules and the human MeSH tags).")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: "Two label sources, comma-separated.") var sources = "rules,mesh"
        @Option(help: "Count uncertain (-1) as positive or negative.") var uncertain = "positive"
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            let parts = sources.split(separator: ",").map(String.init)
            guard parts.count == 2, parts.allSatisfy({ LabelSource(rawValue: $0) != nil }) else {
                throw ValidationError("--sources takes two of \(LabelSource.allCases.map(\.rawValue).joined(separator: ", ")), e.g. rules,mesh.")
            }
            guard ["positive", "negative"].contains(uncertain) else { throw ValidationError("--uncertain must be positive or negative.") }
        }

        func run() throws {
            let rules = try scheme.load()
            let store = try corpus.open()
            let parts = sources.split(separator: ",").compactMap { LabelSource(rawValue: String($0)) }
            let a = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: parts[0])
            let b = try LabelTable.load(corpus: store, scheme: rules.scheme, labels: rules.labels, source: parts[1])
            let result = LabelEvaluation.agreement(a, b, uncertainIsPositive: uncertain == "positive")
            guard let n = result.first?.n, n > 0 else {
                Console.error("no document has \(rules.scheme) labels from both \(parts[0].rawValue) and \(parts[1].rawValue)")
                throw ExitCode(1)
            }
            if json { try Console.printJSON(result); return }
            let width = max(12, rules.labels.map(\.count).max() ?? 0)
            print("label".padding(toLength: width, withPad: " ", startingAt: 0) + "  both  only-\(parts[0].rawValue)  only-\(parts[1].rawValue)  agree   kappa")
            for r in result {
                print(r.label.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "  %4d  %10d  %9d  %5.3f  %6.3f", r.both, r.onlyFirst, r.onlySecond, r.observed, r.kappa))
            }
            let defined = result.filter { $0.both + $0.onlyFirst + $0.onlySecond > 0 }
            let mean = defined.isEmpty ? 0 : defined.map(\.kappa).reduce(0, +) / Double(defined.count)
            print(String(format: "%d documents labelled by both; mean kappa %.3f over %d labels with a positive", n, mean, defined.count))
        }
    }

    /// `triage labels negex`: accuracy of the context rules on NegEx-style annotations.
    struct NegEx: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "negex",
            abstract: "Score the negation rules on NegEx annotations (sentence, concept, Affirmed/Negated).")
        @OptionGroup var scheme: SchemeOptions
        @Argument(help: ArgumentHelp("The tab-separated annotations, e.g. negex_annotations.tsv.", valueName: "file")) var file: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let rules = try scheme.load()
            let result: NegExEvaluation.Result
            do { result = try NegExEvaluation.score(path: file, labeler: Labeler(rules: rules, sections: [])) } catch {
                Console.error("\(error)"); throw ExitCode(2)
            }
            if json { try Console.printJSON(result); return }
            print(String(format: "NegEx annotations: accuracy %.4f on %d sentences (%d concepts not found in their sentence)",
                         result.accuracy, result.sentences, result.unmatched))
            print("gold negated: \(result.negatedAsNegated) negated, \(result.negatedAsAffirmed) affirmed; gold affirmed: \(result.affirmedAsAffirmed) affirmed, \(result.affirmedAsNegated) negated")
        }
    }
}
