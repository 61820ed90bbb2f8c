import Foundation
import Genomics
import Inputs
import Mining

/// What `tb collate` read: the samples (the last result of a sample wins) and what it skipped.
public struct CollatedResults: Sendable {
    /// The results in first-seen order of their samples.
    public var samples: [SamplePrediction] = []
    /// Lines or files that could not be read, as `file:line: why`.
    public var problems: [String] = []
    /// Samples met more than once (the later result was kept).
    public var repeated: [String] = []
}

extension Workspace {
    /// Reads `resist --json` results (one object per line; a JSON array is taken too) from every file,
    /// for `tb collate`. A line that is not a result is named and skipped; a file that cannot be read too.
    public func collateResistance(files: [String], context: JobContext = .silent) throws -> CollatedResults {
        guard !files.isEmpty else { throw TriageError(.unusable, "give one or more files written by `triage resist --json`") }
        var out = CollatedResults()
        var index: [String: Int] = [:]
        let decoder = JSONDecoder()
        func add(_ p: SamplePrediction) {
            if let i = index[p.sample] {
                out.samples[i] = p
                out.repeated.append(p.sample)
            } else {
                index[p.sample] = out.samples.count
                out.samples.append(p)
            }
        }
        for file in files {
            let bytes: [UInt8]
            do { bytes = try InputFile.bytes(file, maximumSize: 1 << 30) } catch {
                out.problems.append("\(file): \(error)")
                continue
            }
            let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
            if first == UInt8(ascii: "[") {
                do { try decoder.decode([SamplePrediction].self, from: Data(bytes)).forEach(add) } catch {
                    out.problems.append("\(file): not a JSON array of `resist --json` results (\((error as? DecodingError)?.sentence ?? "\(error)"))")
                }
                continue
            }
            var line = 0
            for slice in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
                line += 1
                guard slice.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
                do { add(try decoder.decode(SamplePrediction.self, from: Data(slice))) } catch {
                    out.problems.append("\(file):\(line): not a `resist --json` result (\((error as? DecodingError)?.sentence ?? "\(error)"))")
                }
            }
        }
        for problem in out.problems.prefix(20) { context.warn(problem) }
        if out.problems.count > 20 { context.warn("... and \(out.problems.count - 20) more") }
        if !out.repeated.isEmpty {
            context.note("\(out.repeated.count) sample(s) met more than once; the later result is kept (first: \(out.repeated[0]))")
        }
        return out
    }
}

extension ResistanceReport {
    /// One CSV row per sample, like `tb-profiler collate`: sample, class, lineage, QC, then per drug
    /// (report order) the call and its evidence. Cells a spreadsheet would run as formulas are neutralised.
    public static func csv(_ rows: [SamplePrediction]) -> String {
        let drugs = Catalogue.reportOrder(Set(rows.flatMap(\.drugs.keys)))
        var header = ["sample", "resistance_class", "main_lineage", "sublineage", "lineage_support", "coll2014", "family",
                      "median_depth", "fraction_covered", "qc_warnings", "variants"]
        for drug in drugs { header += [drug, drug + "_evidence"] }
        var out = header.map(LabelTable.quote).joined(separator: ",") + "\n"
        for p in rows {
            var cells = [p.sample, p.resistanceClass, p.lineage?.main ?? "", p.lineage?.sublineage ?? "",
                         p.lineage?.fraction.map { String(format: "%.3f", $0) } ?? "",
                         p.lineage?.coll2014 ?? "",
                         p.lineage?.family ?? "",
                         p.coverage.map { "\($0.medianDepth)" } ?? "",
                         p.coverage.map { String(format: "%.4f", $0.fractionCovered) } ?? "",
                         ((p.lineage?.warnings ?? []) + (p.coverage?.warnings ?? [])).joined(separator: "; "),
                         "\(p.variants)"]
            for drug in drugs {
                guard let call = p.drugs[drug] else { cells += ["", ""]; continue }
                let evidence = call.evidence.filter { $0.note == nil }.map {
                    "\($0.gene) \($0.change) (\(String(format: "%.2f", $0.alleleFraction)))"
                }
                cells += [call.call, evidence.joined(separator: "; ")]
            }
            out += cells.map(LabelTable.quote).joined(separator: ",") + "\n"
        }
        return out
    }
}
