import Foundation
import Genomics
import Models

extension ResistanceReport {
    /// A printable HTML report, one page per sample: lineage, resistance class, per drug the call with
    /// its WHO grading and evidence (variant, allele fraction, depth), QC and the catalogue. Plain HTML
    /// and CSS, no external resource; every value from the input is escaped.
    public static func html(_ samples: [(prediction: SamplePrediction, notes: [String])], predictor: String,
                            generated: Date = Date()) -> String {
        let e = Markup.escape
        let date = ISO8601DateFormatter.string(from: generated, timeZone: .current, formatOptions: [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate, .withSpaceBetweenDateAndTime])
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>TB drug resistance report</title>
            <style>
            body { font: 10.5pt/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: #111; margin: 0 auto; max-width: 190mm; padding: 8mm; }
            section.sample { break-after: page; page-break-after: always; }
            section.sample:last-of-type { break-after: auto; page-break-after: auto; }
            h1 { font-size: 15pt; margin: 0 0 2mm; } h2 { font-size: 11.5pt; margin: 4mm 0 1.5mm; border-bottom: 1px solid #999; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 1mm 1.5mm; border-bottom: 1px solid #ddd; }
            th { background: #f2f2f2; } dl { display: grid; grid-template-columns: max-content auto; gap: 0.5mm 4mm; margin: 0; } dt { font-weight: 600; } dd { margin: 0; }
            .call { font-weight: 700; text-align: center; width: 9mm; } .R { background: #f8d0d0; } .U { background: #fbecc4; } .S { background: #dcefdc; } .NC { background: #dde3f0; }
            .class { font-size: 13pt; font-weight: 700; } .warn { color: #8a2a00; } .muted { color: #555; font-size: 9pt; }
            @media print { body { padding: 0; } th, .R, .U, .S { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
            </style></head><body>

            """
        for (p, notes) in samples {
            out += "<section class=\"sample\">\n<h1>M. tuberculosis drug resistance: \(e(p.sample))</h1>\n"
            out += "<p class=\"muted\">Generated \(e(date)) by Triage; \(e(catalogueDescription(predictor))).</p>\n"
            out += "<h2>Summary</h2>\n<dl>\n"
            out += "<dt>Sample</dt><dd>\(e(p.sample))</dd>\n"
            out += "<dt>Resistance class</dt><dd><span class=\"class\">\(e(p.resistanceClass))</span> \(e(classMeaning(p.resistanceClass)))</dd>\n"
            if let lineage = p.lineage {
                var text = lineage.sublineage.map { sub in
                    "\(sub)" + (lineage.main.map { $0 == sub ? "" : " (main lineage \($0))" } ?? "")
                } ?? "not determined"
                if let f = lineage.fraction { text += String(format: ", support %.2f", f) }
                out += "<dt>Lineage</dt><dd>\(e(text))</dd>\n"
                let family = [lineage.family, lineage.spoligotype.map { "spoligotype \($0)" }, lineage.rd].compactMap { $0 }
                if !family.isEmpty { out += "<dt>Family</dt><dd>\(e(family.joined(separator: "; ")))</dd>\n" }
                if let coll = lineage.coll2014 {
                    out += "<dt>Coll 2014 scheme</dt><dd>\(e(coll + (lineage.coll2014Fraction.map { String(format: ", support %.2f", $0) } ?? "")))</dd>\n"
                }
                for warning in lineage.warnings { out += "<dt class=\"warn\">Note</dt><dd class=\"warn\">\(e(warning))</dd>\n" }
            }
            out += "</dl>\n<h2>Drugs</h2>\n<table>\n<tr><th>Drug</th><th>Call</th><th>WHO confidence grading</th><th>Evidence (variant, allele fraction, depth)</th></tr>\n"
            for drug in Catalogue.reportOrder(p.drugs.keys) {
                guard let call = p.drugs[drug] else { continue }
                let grading = call.evidence.first { $0.note == nil }.map { item in
                    Grading(text: item.grading).map { "\($0.rawValue)) \($0.text)" } ?? item.grading
                } ?? "no catalogue variant"
                let evidence = call.evidence.map { item -> String in
                    var text = "\(item.gene) \(item.change)" + (item.alias.map { " [\($0)]" } ?? "")
                    text += String(format: ", %.2f", item.alleleFraction)
                    if let depth = item.depth { text += ", \(depth) reads" }
                    if let note = item.note { text += " (\(note))" }
                    return e(text)
                }
                var shown = evidence.isEmpty ? "&ndash;" : evidence.joined(separator: "<br>")
                if call.call == DrugCall.notCovered, let c = p.coverage, let untold = c.notCovered.first(where: { $0.drug == drug }) {
                    shown = e("\(untold.sites) graded site(s) under \(c.minimumDepth) reads: " + untold.examples.prefix(3).joined(separator: "; ")
                              + (untold.sites > 3 ? "; ..." : ""))
                }
                let style = call.call == DrugCall.notCovered ? "NC" : ["R", "S", "U"].contains(call.call) ? call.call : ""
                out += "<tr><td>\(e(drug))</td><td class=\"call \(style)\">\(e(call.call))</td>"
                out += "<td>\(e(grading))</td><td>\(shown)</td></tr>\n"
            }
            out += "</table>\n<h2>Quality</h2>\n<dl>\n"
            out += "<dt>Variants</dt><dd>\(p.variants) in the catalogue's genes</dd>\n"
            if let lineage = p.lineage {
                var sites = "\(lineage.sitesObserved) of the barcode's sites observed, \(lineage.heterozygousSites) with both alleles"
                if let depth = lineage.medianDepth { sites += "; median depth there \(depth) reads" }
                out += "<dt>Barcode</dt><dd>\(e(sites))</dd>\n"
            }
            if let c = p.coverage {
                out += "<dt>Coverage</dt><dd>\(e(String(format: "median %d reads over the resistance loci; %.1f%% of their bases covered by %d or more", c.medianDepth, c.fractionCovered * 100, c.minimumDepth)))</dd>\n"
                let weak = c.loci.filter { $0.fractionCovered < 0.95 }.sorted { $0.fractionCovered < $1.fractionCovered }
                if !weak.isEmpty {
                    let text = weak.prefix(12).map { String(format: "%@ %.0f%% (median %d)", $0.gene, $0.fractionCovered * 100, $0.medianDepth) }
                        .joined(separator: ", ") + (weak.count > 12 ? ", and \(weak.count - 12) more" : "")
                    out += "<dt>Loci under 95%</dt><dd>\(e(text))</dd>\n"
                }
                for warning in c.warnings { out += "<dt class=\"warn\">Warning</dt><dd class=\"warn\">\(e(warning))</dd>\n" }
            }
            for note in notes { out += "<dt>Note</dt><dd>\(e(note))</dd>\n" }
            out += "</dl>\n<h2>Reading this report</h2>\n<p class=\"muted\">"
            out += "<b>R</b> (resistant): the sample carries a variant that the WHO catalogue grades as associated with resistance "
            out += "(group 1, or 2 interim). <b>U</b> (uncertain): it carries only variants of uncertain significance (group 3); "
            out += "phenotypic testing decides. <b>S</b> (susceptible): no variant associated with resistance was found; resistance "
            out += "by a mechanism the catalogue does not list is not excluded. <b>not covered</b>: no variant associated with resistance "
            out += "was found, but some positions where the catalogue lists one had too few reads to tell (reads input only); "
            out += "the result is incomplete, not susceptible. "
            out += "The allele fraction is the share of reads carrying the variant: below about 0.75 a mixed population "
            out += "(heteroresistance or mixed infection) is likely. This is a genotypic prediction, to be read with the "
            out += "phenotypic and clinical findings.</p>\n</section>\n"
        }
        out += "</body></html>\n"
        return out
    }

    /// What a WHO resistance class means, in a phrase.
    static func classMeaning(_ resistanceClass: String) -> String {
        switch resistanceClass {
        case "RR-TB": return "rifampicin-resistant"
        case "MDR-TB": return "multidrug-resistant: rifampicin and isoniazid"
        case "Pre-XDR-TB": return "pre-extensively drug-resistant: rifampicin and a fluoroquinolone"
        case "XDR-TB": return "extensively drug-resistant: rifampicin, a fluoroquinolone and bedaquiline or linezolid"
        case "Hr-TB": return "isoniazid-resistant, rifampicin-susceptible"
        case "Other": return "resistant to drugs other than rifampicin and isoniazid"
        case "Sensitive": return "no resistance predicted"
        case "Undetermined": return "rifampicin or isoniazid could not be told from the reads (not covered)"
        default: return ""
        }
    }

    /// The catalogue behind the calls, in words.
    static func catalogueDescription(_ predictor: String) -> String {
        if predictor.hasSuffix("who2023") || predictor.contains("who2023") {
            return "\(predictor): WHO catalogue of mutations in M. tuberculosis complex and their association with drug resistance, 2nd edition (2023)"
        }
        return predictor
    }
}
