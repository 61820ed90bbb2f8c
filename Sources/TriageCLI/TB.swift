import ArgumentParser
import Foundation
import Genomics
import Models
import Statistics

/// `triage tb`: Import and evaluate TB isolates and phenotypes.
struct TB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tb",
        abstract: "Import and evaluate TB isolates; check the variant naming against the catalogue.",
        subcommands: [ImportIsolates.self, EvaluateCatalogue.self, CheckAnnotation.self, ExampleVCF.self])

    /// `triage tb import`: the WHO 2023 isolate set into the corpus.
    struct ImportIsolates: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load isolates, their variants and phenotypes into the corpus (tables isolate, variant, phenotype).",
            discussion: """
            One transaction: all rows land or none. Re-running with the same files changes nothing: \
            isolates are found by sample id, and their variants and phenotypes are replaced by the \
            files' rows. When a sample has several phenotypes for one drug, the method decides \
            (WHO, then ALL, then CC, then CC-ATU). Rows that cannot be read are skipped and named \
            (the exit code is 1 unless --keep-going).
            """)

        @OptionGroup var corpus: CorpusOptions
        @Option(help: ArgumentHelp("Phenotype table: sample_id, drug, phenotype (R/S), method.", valueName: "csv"))
        var phenotypes: String?
        @Option(help: ArgumentHelp("Genotype table: sample_id, gene, variant, effect, allele_fraction, position.",
                                   valueName: "csv"))
        var genotypes: String?
        @Option(help: "The source recorded for new isolates.")
        var source = "who2023"
        @Flag(help: "Exit 0 even if some rows were skipped.")
        var keepGoing = false
        @Flag(help: "Print one JSON object with the counts.")
        var json = false

        func validate() throws {
            if phenotypes == nil && genotypes == nil {
                throw ValidationError("give --phenotypes FILE and/or --genotypes FILE.")
            }
        }

        func run() throws {
            let store = try corpus.open()
            let phenotypeTable: PhenotypeTable?, genotypeTable: GenotypeTable?
            do {
                phenotypeTable = try phenotypes.map(PhenotypeTable.read)
                genotypeTable = try genotypes.map(GenotypeTable.read)
            } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            let problems = (phenotypeTable?.problems ?? []) + (genotypeTable?.problems ?? [])
            for problem in problems.prefix(20) { Console.warning(problem) }
            if problems.count > 20 { Console.warning("... and \(problems.count - 20) more skipped rows") }
            let summary = try IsolateImport.run(corpus: store, phenotypes: phenotypeTable, genotypes: genotypeTable,
                                                source: source)
            if json {
                try Console.printJSON(summary)
            } else {
                print("isolates: \(summary.isolatesCreated) new, \(summary.isolatesExisting) already there")
                print("variants: \(summary.variants) rows, phenotypes: \(summary.phenotypes) rows, skipped: \(summary.skipped)")
            }
            if summary.skipped > 0 && !keepGoing { throw ExitCode(1) }
        }
    }

    /// `triage tb evaluate`: the catalogue against measured phenotypes.
    struct EvaluateCatalogue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Per drug AUC, sensitivity and specificity (95% CIs) of the catalogue against phenotypes.",
            discussion: """
            Predicts every sample of --genotypes with the catalogue and compares with --phenotypes \
            (or with the isolates in the corpus when both are omitted). A U call counts as not \
            resistant. Intervals: Wilson for sensitivity and specificity, Hanley-McNeil for AUC. \
            Drugs whose genes the genotype table lacks (see genotype_files_present.txt: ethambutol, \
            streptomycin, the fluoroquinolones) are reported as measured, not tuned.
            """)

        @OptionGroup var tb: TBDataOptions
        @OptionGroup var corpus: CorpusOptions
        @Option(help: ArgumentHelp("Phenotype table (sample_id, drug, phenotype, method).", valueName: "csv"))
        var phenotypes: String?
        @Option(help: ArgumentHelp("Genotype table (sample_id, gene, variant, effect, allele_fraction, position).",
                                   valueName: "csv"))
        var genotypes: String?
        @Option(help: ArgumentHelp("A model folder from `triage train resistance`: measured on its test split.",
                                   valueName: "dir"))
        var model: String?
        @Flag(help: "Print one JSON object: {\"catalogue\": ..., \"drugs\": [...]}.")
        var json = false

        func validate() throws {
            if (phenotypes == nil) != (genotypes == nil) {
                throw ValidationError("give both --phenotypes and --genotypes, or neither to use the corpus's isolates.")
            }
        }

        func run() throws {
            let data = try tb.locate()
            let predictor = try tb.predictor(data)
            let (genotypeTable, phenotypeTable) = try IsolateTables.load(
                phenotypes: phenotypes, genotypes: genotypes, corpus: corpus)
            var predictions: [SamplePrediction]
            var name = predictor.catalogue.name
            if let model {
                // The model's held-out isolates; the catalogue on the same isolates for comparison.
                let learned: ResistanceModel
                do { learned = try ResistanceModel.load(from: URL(fileURLWithPath: model)) } catch {
                    Console.error("\(error)")
                    throw ExitCode(2)
                }
                let test = genotypeTable.samples.filter { ResistanceModel.split($0) == "test" }
                predictions = learned.predict(test.map { ($0, genotypeTable.variants[$0] ?? []) })
                name = "model \(model) (test split, \(test.count) isolates)"
                if !json {
                    let catalogue = test.map { predictor.predict(sample: $0, variants: genotypeTable.variants[$0] ?? []) }
                    print("catalogue \(predictor.catalogue.name) on the same test split")
                    Self.printTable(DrugEvaluation.evaluate(predictions: catalogue, phenotypes: phenotypeTable, drugs: phenotypeTable.drugs))
                    print("")
                }
            } else {
                predictions = genotypeTable.samples.map {
                    predictor.predict(sample: $0, variants: genotypeTable.variants[$0] ?? [])
                }
            }
            let metrics = DrugEvaluation.evaluate(predictions: predictions, phenotypes: phenotypeTable, drugs: phenotypeTable.drugs)
            if json {
                struct Output: Encodable {
                    let catalogue: String, minFraction: Double, samples: Int, drugs: [DrugMetrics]
                }
                try Console.printJSON(Output(catalogue: name, minFraction: tb.minFraction,
                                             samples: predictions.count, drugs: metrics))
                return
            }
            print("\(name), \(predictions.count) genotyped samples, min allele fraction \(tb.minFraction)")
            Self.printTable(metrics)
        }

        /// The per-drug table: n, resistant, sensitivity, specificity and AUC with 95% intervals, U calls.
        static func printTable(_ metrics: [DrugMetrics]) {
            print("drug           n      R      sensitivity (95% CI)    specificity (95% CI)    AUC (95% CI)           U")
            func f(_ p: Proportion) -> String {
                guard let v = p.value, let l = p.lower, let u = p.upper else { return "-".padding(toLength: 22, withPad: " ", startingAt: 0) }
                return String(format: "%.3f (%.3f-%.3f)   ", v, l, u)
            }
            for m in metrics {
                let auc = m.auc.map { String(format: "%.3f (%.3f-%.3f)", $0, m.aucLower ?? 0, m.aucUpper ?? 0) } ?? "-"
                print(m.drug.padding(toLength: 13, withPad: " ", startingAt: 0)
                      + String(format: " %6d %6d  ", m.samples, m.resistant) + f(m.sensitivity) + "  " + f(m.specificity)
                      + "  " + auc.padding(toLength: 21, withPad: " ", startingAt: 0) + String(format: " %6d", m.uncertain))
            }
        }
    }

    /// `triage tb check-annotation`: the annotator against the catalogue's genomic coordinates.
    struct CheckAnnotation: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-annotation",
            abstract: "Name every variant of who2023_genomic_coordinates.vcf.gz and compare with the catalogue's names.")

        @OptionGroup var tb: TBDataOptions
        @Option(help: ArgumentHelp("A VCF whose INFO graded_variant names each record (default: the WHO 2023 coordinates file).",
                                   valueName: "vcf"))
        var vcf: String?
        @Option(help: "How many disagreements to list.")
        var show = 10
        @Flag(help: "Print one JSON object with the counts.")
        var json = false

        func run() throws {
            let data = try tb.locate()
            let file: VCFFile, reference: Reference
            do {
                reference = try Reference.load(data: data)
                file = try VCF.read(try vcf ?? data.file("who2023_genomic_coordinates.vcf.gz"))
            } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            for correction in reference.corrections { Console.note("note: \(correction)") }
            let check = AnnotationCheck.run(file, annotator: VariantAnnotator(reference: reference), keep: show)
            if json {
                struct Output: Encodable { let records, matched, exact, refMismatches: Int; let agreement: Double }
                try Console.printJSON(Output(records: check.records, matched: check.matched, exact: check.exact,
                                             refMismatches: check.refMismatches, agreement: check.agreement))
                return
            }
            print(String(format: "%d of %d ALT alleles named as the catalogue names them (%.4f); %d with exactly the same set of names; %d REF mismatches",
                         check.matched, check.records, check.agreement, check.exact, check.refMismatches))
            for m in check.mismatches {
                print("  line \(m.line): \(m.variant): catalogue \(m.expected.joined(separator: " & ")), triage \(m.produced.joined(separator: " & "))")
            }
        }
    }

    /// `triage tb example-vcf`: a VCF of chosen catalogue variants, from the catalogue's coordinates.
    struct ExampleVCF: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "example-vcf",
            abstract: "Write a single-sample VCF carrying the named catalogue variants (coordinates from the WHO 2023 file).")

        @OptionGroup var tb: TBDataOptions
        @Option(name: .customLong("variant"), help: ArgumentHelp(
            "A variant as the catalogue names it, e.g. 'rpoB p.Ser450Leu' (repeat).", valueName: "gene change"))
        var variants: [String] = ["rpoB p.Ser450Leu", "katG p.Ser315Thr", "inhA c.-777C>T", "pncA p.His57Asp",
                                  "gyrA p.Asp94Gly", "rrs n.1401A>G"]
        @Option(help: "The sample column's name.")
        var sample = "example"

        func run() throws {
            let data = try tb.locate()
            let file: VCFFile
            do { file = try VCF.read(try data.file("who2023_genomic_coordinates.vcf.gz")) } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            var lines: [(Int, String)] = []
            for wanted in variants {
                let key = wanted.replacingOccurrences(of: " ", with: "_")
                // The simplest record for the name: a single base change when there is one.
                let matches = file.records.filter { $0.infoValue("graded_variant") == key }
                guard let record = matches.min(by: { $0.ref.count + $0.alternates[0].count < $1.ref.count + $1.alternates[0].count }) else {
                    Console.error("'\(wanted)' is not in the WHO 2023 genomic coordinates file")
                    throw ExitCode(1)
                }
                let depth = 60, alt = 58
                lines.append((record.position, "\(Reference.accession)\t\(record.position)\t.\t\(record.ref)\t\(record.alternates[0])\t200\tPASS\tDP=\(depth)\tGT:AD:DP\t1:\(depth - alt),\(alt):\(depth)"))
            }
            print("""
                ##fileformat=VCFv4.2
                ##source=triage tb example-vcf (WHO 2023 catalogue genomic coordinates)
                ##FILTER=<ID=PASS,Description="All filters passed">
                ##contig=<ID=\(Reference.accession),length=\(Reference.genomeLength)>
                ##INFO=<ID=DP,Number=1,Type=Integer,Description="Read depth">
                ##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
                ##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Read depth per allele">
                ##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
                #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t\(sample)
                """)
            for (_, line) in lines.sorted(by: { $0.0 < $1.0 }) { print(line) }
        }
    }
}
