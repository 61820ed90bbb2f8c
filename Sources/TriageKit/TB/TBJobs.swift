import Foundation
import Genomics
import Models
import Statistics

/// Options of `tb import`.
public struct TBImportOptions: Codable, Sendable {
    /// Phenotype table: sample_id, drug, phenotype (R/S), method.
    public var phenotypes: String?
    /// Genotype table: sample_id, gene, variant, effect, allele_fraction, position.
    public var genotypes: String?
    /// The source recorded for new isolates.
    public var source = "who2023"
    /// Options importing either table or both.
    public init(phenotypes: String? = nil, genotypes: String? = nil) {
        self.phenotypes = phenotypes
        self.genotypes = genotypes
    }
}

/// Options of `tb evaluate`.
public struct TBEvaluationOptions: Codable, Sendable {
    public var data = TBDataOptions()
    /// The isolate tables (both, or neither for the corpus's isolates).
    public var phenotypes: String?, genotypes: String?
    /// A model folder from `train resistance`: measured on its test split, beside the catalogue.
    public var model: String?
    /// The catalogue on the corpus's isolates.
    public init() {}
}

/// Per-drug sensitivity, specificity and AUC with 95% intervals.
public struct TBEvaluation: Codable, Sendable, TextReport {
    /// What was measured: the catalogue's name, or the model and its test split.
    public var catalogue: String
    public var minFraction: Double
    /// Genotyped samples predicted.
    public var samples: Int
    public var drugs: [DrugMetrics]
    /// With a model: the catalogue on the same test split, for comparison (not in the JSON).
    public var catalogueOnTestSplit: [DrugMetrics]?
    /// The catalogue's name (not in the JSON).
    public var catalogueName: String = ""

    enum CodingKeys: String, CodingKey { case catalogue, minFraction, samples, drugs }

    /// The comparison table (with a model), then the main table.
    public var text: String {
        var out = ""
        if let catalogueOnTestSplit {
            out += "catalogue \(catalogueName) on the same test split\n" + TBEvaluation.table(catalogueOnTestSplit) + "\n"
        }
        return out + "\(catalogue), \(samples) genotyped samples, min allele fraction \(minFraction)\n" + TBEvaluation.table(drugs)
    }

    /// The per-drug table: n, resistant, sensitivity, specificity and AUC with 95% intervals, U calls.
    public static func table(_ metrics: [DrugMetrics]) -> String {
        var out = "drug           n      R      sensitivity (95% CI)    specificity (95% CI)    AUC (95% CI)           U\n"
        func f(_ p: Proportion) -> String {
            guard let v = p.value, let l = p.lower, let u = p.upper else { return "-".padded(22) }
            return String(format: "%.3f (%.3f-%.3f)   ", v, l, u)
        }
        for m in metrics {
            let auc = m.auc.map { String(format: "%.3f (%.3f-%.3f)", $0, m.aucLower ?? 0, m.aucUpper ?? 0) } ?? "-"
            out += m.drug.padded(13) + String(format: " %6d %6d  ", m.samples, m.resistant) + f(m.sensitivity) + "  " + f(m.specificity)
                + "  " + auc.padded(21) + String(format: " %6d", m.uncertain) + "\n"
        }
        return out
    }
}

/// How the variant naming agrees with the catalogue's own names.
public struct AnnotationCheckResult: Codable, Sendable, TextReport {
    public var records: Int, matched: Int, exact: Int, refMismatches: Int
    public var agreement: Double
    /// The first disagreements (not in the JSON).
    public var mismatches: [AnnotationCheck.Mismatch] = []

    enum CodingKeys: String, CodingKey { case records, matched, exact, refMismatches, agreement }

    /// Counts, then one line per disagreement shown.
    public var text: String {
        var out = String(format: "%d of %d ALT alleles named as the catalogue names them (%.4f); %d with exactly the same set of names; %d REF mismatches\n",
                         matched, records, agreement, exact, refMismatches)
        for m in mismatches {
            out += "  line \(m.line): \(m.variant): catalogue \(m.expected.joined(separator: " & ")), triage \(m.produced.joined(separator: " & "))\n"
        }
        return out
    }
}

extension IsolateImport.Summary: TextReport {
    /// Two lines of counts.
    public var text: String {
        "isolates: \(isolatesCreated) new, \(isolatesExisting) already there\n"
            + "variants: \(variants) rows, phenotypes: \(phenotypes) rows, skipped: \(skipped)\n"
    }
}

extension Workspace {
    /// Loads isolates, their variants and phenotypes into the corpus in one transaction; rows that
    /// cannot be read are named in warnings and counted (`skipped`).
    public func importIsolates(_ options: TBImportOptions, context: JobContext = .silent) throws -> IsolateImport.Summary {
        guard options.phenotypes != nil || options.genotypes != nil else {
            throw TriageError(.unusable, "give a phenotype table and/or a genotype table")
        }
        let store = try corpus()
        let phenotypes: PhenotypeTable?, genotypes: GenotypeTable?
        do {
            phenotypes = try options.phenotypes.map(PhenotypeTable.read)
            genotypes = try options.genotypes.map(GenotypeTable.read)
        } catch {
            throw TriageError(error)
        }
        let problems = (phenotypes?.problems ?? []) + (genotypes?.problems ?? [])
        for problem in problems.prefix(20) { context.warn(problem) }
        if problems.count > 20 { context.warn("... and \(problems.count - 20) more skipped rows") }
        do {
            return try IsolateImport.run(corpus: store, phenotypes: phenotypes, genotypes: genotypes, source: options.source)
        } catch {
            throw TriageError(error)
        }
    }

    /// Per drug AUC, sensitivity and specificity of the catalogue (or a model, on its test split) against phenotypes.
    public func evaluateResistance(_ options: TBEvaluationOptions, context: JobContext = .silent) throws -> TBEvaluation {
        let data = try options.data.locate()
        let predictor = try options.data.predictor(data)
        let (genotypes, phenotypes) = try TBDataOptions.isolateTables(phenotypes: options.phenotypes, genotypes: options.genotypes,
                                                                     workspace: self, context: context)
        var result = TBEvaluation(catalogue: predictor.catalogue.name, minFraction: options.data.minFraction, samples: 0, drugs: [],
                                  catalogueName: predictor.catalogue.name)
        let predictions: [SamplePrediction]
        if let model = options.model {
            // The model's held-out isolates; the catalogue on the same isolates for comparison.
            let learned: ResistancePredictor
            do { learned = try ResistanceTraining.load(from: URL(fileURLWithPath: model)) } catch { throw TriageError(error) }
            let test = genotypes.samples.filter { ResistanceModel.split($0) == "test" }
            predictions = learned.predict(test.map { ($0, genotypes.variants[$0] ?? []) })
            result.catalogue = "model \(model) (test split, \(test.count) isolates)"
            let catalogue = test.map { predictor.predict(sample: $0, variants: genotypes.variants[$0] ?? []) }
            result.catalogueOnTestSplit = DrugEvaluation.evaluate(predictions: catalogue, phenotypes: phenotypes, drugs: phenotypes.drugs)
        } else {
            predictions = genotypes.samples.map { predictor.predict(sample: $0, variants: genotypes.variants[$0] ?? []) }
        }
        result.samples = predictions.count
        result.drugs = DrugEvaluation.evaluate(predictions: predictions, phenotypes: phenotypes, drugs: phenotypes.drugs)
        return result
    }

    /// Names every variant of a VCF whose INFO `graded_variant` names each record (default: the WHO
    /// 2023 coordinates file) and compares with those names; `show` disagreements are kept.
    public func checkAnnotation(data options: TBDataOptions, vcf: String?, show: Int, context: JobContext = .silent) throws -> AnnotationCheckResult {
        let data = try options.locate()
        let file: VCFFile, reference: Reference
        do {
            reference = try Reference.load(data: data)
            file = try VCF.read(try vcf ?? data.file("who2023_genomic_coordinates.vcf.gz"))
        } catch {
            throw TriageError(error)
        }
        for correction in reference.corrections { context.note("note: \(correction)") }
        let check = AnnotationCheck.run(file, annotator: VariantAnnotator(reference: reference), keep: show)
        return AnnotationCheckResult(records: check.records, matched: check.matched, exact: check.exact,
                                     refMismatches: check.refMismatches, agreement: check.agreement, mismatches: check.mismatches)
    }

    /// A single-sample VCF carrying the named catalogue variants (coordinates from the WHO 2023 file).
    public func exampleVCF(data options: TBDataOptions, variants: [String], sample: String) throws -> String {
        let data = try options.locate()
        do {
            return try ExampleVCF.make(variants: variants, sample: sample,
                                       coordinates: try VCF.read(try data.file("who2023_genomic_coordinates.vcf.gz")))
        } catch let error as GenomicsError where error.file != nil && error.line == nil && error.reason.contains("is not in the WHO") {
            throw TriageError(.failed, error.reason)
        } catch {
            throw TriageError(error)
        }
    }
}
