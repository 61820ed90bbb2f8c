import Corpus
import Foundation

/// The model card's pictures as standalone SVG (no script, no external font): ROC curves and
/// training curves.
public enum Charts {
    static let size = 420.0, margin = 50.0
    public static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]

    /// ROC curves (one per entry) with the chance diagonal and the AUCs in the legend.
    public static func roc(_ curves: [ModelCurves.ROC], title: String) -> String {
        let plot = size - 2 * margin
        func x(_ v: Double) -> String { String(format: "%.2f", margin + v * plot) }
        func y(_ v: Double) -> String { String(format: "%.2f", size - margin - v * plot) }
        var svg = frame(title: title, legendLines: curves.count, xLabel: "false positive rate", yLabel: "true positive rate")
        svg += "<line x1=\"\(x(0))\" y1=\"\(y(0))\" x2=\"\(x(1))\" y2=\"\(y(1))\" stroke=\"#aaa\" stroke-dasharray=\"4 4\"/>\n"
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<text x=\"\(x(t))\" y=\"\(size - margin + 15)\" text-anchor=\"middle\">\(t)</text>\n"
            svg += "<text x=\"\(margin - 5)\" y=\"\(y(t))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(t)</text>\n"
        }
        for (i, curve) in curves.enumerated() {
            let colour = colours[i % colours.count]
            let points = curve.points.filter { $0.count == 2 }.map { "\(x($0[0])),\(y($0[1]))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let auc = curve.auc.map { String(format: " (AUC %.3f)", $0) } ?? ""
            svg += "<text x=\"\(margin)\" y=\"\(size + 5 + 20 * Double(i))\" fill=\"\(colour)\">\(Markup.escape(curve.name))\(auc)</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Training loss and validation loss per epoch, one colour per ensemble member (validation
    /// dashed), against the epoch; validation accuracy or AUC when no validation loss was measured.
    public static func training(_ epochs: [ModelCurves.Epoch], title: String) -> String {
        let plot = size - 2 * margin
        let members = Array(Set(epochs.map(\.member))).sorted()
        let validationKey = epochs.contains { $0.validation["loss"] != nil } ? "loss"
            : epochs.contains { $0.validation["auc"] != nil } ? "auc" : "accuracy"
        // Validation loss shares the axis with the training loss; a validation accuracy or AUC is
        // drawn on its own 0-1 scale (right axis).
        let sameAxis = validationKey == "loss"
        var values = epochs.map(\.loss)
        if sameAxis { values += epochs.compactMap { $0.validation["loss"] } }
        values = values.filter(\.isFinite)
        let top = max(values.max() ?? 1, 1e-9) * 1.05
        let lastEpoch = max(epochs.map(\.epoch).max() ?? 1, 2)
        func x(_ epoch: Int) -> String { String(format: "%.2f", margin + Double(epoch - 1) / Double(lastEpoch - 1) * plot) }
        func y(_ v: Double, scale: Double) -> String { String(format: "%.2f", size - margin - min(max(v / scale, 0), 1) * plot) }
        let legend = members.count + 1
        var svg = frame(title: title, legendLines: legend, xLabel: "epoch",
                        yLabel: sameAxis ? "loss" : "training loss (left), validation \(validationKey) (right)")
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<text x=\"\(margin - 5)\" y=\"\(y(t * top, scale: top))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(String(format: "%.3g", t * top))</text>\n"
            if !sameAxis {
                svg += "<text x=\"\(size - margin + 5)\" y=\"\(y(t, scale: 1))\" dominant-baseline=\"middle\">\(t)</text>\n"
            }
        }
        for e in Set([1, (lastEpoch + 1) / 2, lastEpoch]).sorted() {
            svg += "<text x=\"\(x(e))\" y=\"\(size - margin + 15)\" text-anchor=\"middle\">\(e)</text>\n"
        }
        for (i, member) in members.enumerated() {
            let colour = colours[i % colours.count]
            let rows = epochs.filter { $0.member == member }.sorted { $0.epoch < $1.epoch }
            let train = rows.filter { $0.loss.isFinite }.map { "\(x($0.epoch)),\(y($0.loss, scale: top))" }
            let validation = rows.compactMap { r in r.validation[validationKey].flatMap { $0.isFinite ? $0 : nil }.map {
                "\(x(r.epoch)),\(y($0, scale: sameAxis ? top : 1))" } }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(train.joined(separator: " "))\"/>\n"
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-dasharray=\"5 3\" points=\"\(validation.joined(separator: " "))\"/>\n"
            // Marks on each epoch while there are few, so that a one-epoch run still shows its values.
            if rows.count <= 40 {
                for point in train + validation {
                    let xy = point.split(separator: ",")
                    if xy.count == 2 { svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(colour)\"/>\n" }
                }
            }
            if members.count > 1 {
                svg += "<text x=\"\(margin)\" y=\"\(size + 25 + 20 * Double(i))\" fill=\"\(colour)\">ensemble member \(member)</text>\n"
            }
        }
        svg += "<text x=\"\(margin)\" y=\"\(size + 5)\">solid: training loss; dashed: validation \(validationKey)</text>\n"
        return svg + "</svg>\n"
    }

    /// The white page, title, plot box and axis names.
    static func frame(title: String, legendLines: Int, xLabel: String, yLabel: String) -> String {
        let plot = size - 2 * margin
        return """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(size))" height="\(Int(size + 20 * Double(legendLines)))" viewBox="0 0 \(Int(size)) \(Int(size + 20 * Double(legendLines)))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(size / 2)" y="20" text-anchor="middle" font-size="14">\(Markup.escape(title))</text>
        <rect x="\(margin)" y="\(margin)" width="\(plot)" height="\(plot)" fill="none" stroke="#444"/>
        <text x="\(size / 2)" y="\(size - 15)" text-anchor="middle">\(Markup.escape(xLabel))</text>
        <text x="15" y="\(size / 2)" text-anchor="middle" transform="rotate(-90 15 \(size / 2))">\(Markup.escape(yLabel))</text>

        """
    }

}

/// Text in HTML and SVG.
public enum Markup {
    /// `s` safe as the content of an element or the value of a quoted attribute.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
