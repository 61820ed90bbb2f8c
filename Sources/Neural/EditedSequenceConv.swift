/// One edit of a reference sequence: bases `start..<end` of locus `locus` replaced by `bases`
/// (codes 0 A, 1 C, 2 G, 3 T, 4 N; `start == end` inserts, empty `bases` deletes).
public struct SequenceEdit: Sendable, Hashable {
    /// Which reference sequence.
    public var locus: Int
    /// First replaced base (0-based) and one past the last.
    public var start: Int, end: Int
    /// The bases put in their place.
    public var bases: [UInt8]

    /// An edit.
    public init(locus: Int, start: Int, end: Int, bases: [UInt8]) {
        self.locus = locus
        self.start = start
        self.end = end
        self.bases = bases
    }

    /// The code of an ASCII base (A C G T, any case; anything else N = 4).
    @inline(__always) public static func code(_ ascii: UInt8) -> UInt8 {
        switch ascii | 0x20 {
        case UInt8(ascii: "a"): return 0
        case UInt8(ascii: "c"): return 1
        case UInt8(ascii: "g"): return 2
        case UInt8(ascii: "t"): return 3
        default: return 4
        }
    }
}

/// A 1D convolution over one-hot sequences that differ from fixed reference sequences only by
/// a few edits, max-pooled per reference sequence (locus). Layout: (B, E) encoded edits -> (B, 2 S F).
///
/// Letters: B isolates, S loci, L locus length, P = L - K + 1 valid outputs, K kernel, F filters,
/// E encoded floats per row. Weight (F, K, 4) as `Conv1D`'s (F, K, C) with C = 4 one-hot bases
/// (A C G T; N is all zeros), bias (F).
///
/// Output block 1, `[s * F + f]`: the largest valid convolution output of filter f over locus s of
/// the edited sequence (what a dense Conv1D + global max pool per locus gives). Block 2,
/// `[(S + s) * F + f]`: the largest over the outputs whose receptive field touches an edit of
/// locus s (0 when it has none): the variant-centred pooling, a departure from MD-CNN (Green et
/// al. 2022, which stacks convolutions and pools the whole sequence) that lets a shallow network
/// see "something changed here" as well as "this k-mer is present".
///
/// Cost: the reference outputs are computed once per forward (S L K F adds, no batch axis), their
/// top positions per locus and filter kept; each isolate then recomputes only windows of
/// K - 1 bases either side of its merged edits, so a forward is O(S L K F + B E K F) instead of
/// O(B S L K F). Gradients flow to the arg-max positions only (max pooling), reference or window.
public final class EditedSequenceConv: Layer {
    /// The loci, as base codes.
    public let references: [[UInt8]]
    /// Filters and kernel width.
    public let filters: Int, kernelSize: Int
    /// The (F, K, 4) weight.
    public let weight: Parameter
    /// The (F) bias.
    public let bias: Parameter
    public var needsInputGradient = false

    /// Valid outputs per locus and where each locus's outputs start in `refOutput`.
    let outputs: [Int], offsets: [Int]
    /// How many top reference positions are kept per locus and filter.
    static let top = 4

    // Forward state (read by backward).
    private let output = Tensor()
    private var input = Tensor()
    private let refOutput = Tensor()              // (sum P, F)
    private var weightT: [Float] = []             // (K 4, F): row k * 4 + code
    private var topValue: [Float] = []            // (S, F, top)
    private var topPosition: [Int32] = []         // (S, F, top), global index into refOutput rows, -1 none
    /// Per row and output: the arg max. >= 0 a reference row of refOutput; < -1 a window output
    /// whose receptive field starts at input float -(2 + value) of the row; -1 none.
    private var argmax: [Int32] = []              // (B, 2 S F)
    private var refGradient: [Float] = []         // (sum P, F), zero between backward calls
    /// The locus of each reference output row.
    let locusOfOutput: [Int32]

    /// A layer over `references` (ASCII bases) with `filters` filters of width `kernelSize`.
    public init(references: [[UInt8]], filters: Int, kernelSize: Int, seed: UInt64? = nil) {
        require(!references.isEmpty && filters > 0 && kernelSize > 0, "EditedSequenceConv needs loci, filters and a kernel.")
        self.references = references.map { $0.map(SequenceEdit.code) }
        self.filters = filters
        self.kernelSize = kernelSize
        (weight, bias) = convolutionParameters(weightShape: [filters, kernelSize, 4], filters: filters, fanIn: 4 * kernelSize,
                                               seed: seed ?? WeightSeed.next())
        var offsets: [Int] = [], outputs: [Int] = [], total = 0
        for r in references {
            offsets.append(total)
            let p = Swift.max(0, r.count - kernelSize + 1)
            outputs.append(p)
            total += p
        }
        self.offsets = offsets
        self.outputs = outputs
        locusOfOutput = outputs.enumerated().flatMap { l, p in [Int32](repeating: Int32(l), count: p) }
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig {
        .editedSequenceConv(references: references.map { String(decoding: $0.map { Self.letters[Int($0)] }, as: UTF8.self) },
                            filters: filters, kernelSize: kernelSize)
    }
    static let letters: [UInt8] = Array("ACGTN".utf8)

    /// Features per row: 2 S F.
    public var outputSize: Int { 2 * references.count * filters }

    // MARK: Encoding

    /// The edits of each row as one (B, E) tensor: per locus, overlapping edits dropped (the first
    /// kept), edits closer than K - 1 bases merged, and each merged edit written as a window
    /// `[locus, first replaced output, end of replaced outputs, n, n base codes]` holding the
    /// edited bases with K - 1 reference bases of context either side; rows end with -1.
    public func encode(_ rows: [[SequenceEdit]]) -> Tensor {
        let encoded = rows.map(encodeRow)
        let width = Swift.max(1, encoded.map(\.count).max() ?? 1)
        let t = Tensor(shape: [rows.count, width], repeating: -1)
        for (i, row) in encoded.enumerated() {
            for (j, v) in row.enumerated() { t.pointer[i * width + j] = v }
        }
        return t
    }

    /// The windows of one row (see `encode`).
    func encodeRow(_ edits: [SequenceEdit]) -> [Float] {
        let k = kernelSize
        var out: [Float] = []
        for locus in Set(edits.map(\.locus)).sorted() where locus >= 0 && locus < references.count {
            let ref = references[locus], kept = editsKept(edits, locus: locus)
            var i = 0
            while i < kept.count {
                let a = kept[i].start
                var b = kept[i].end, bases = kept[i].bases.map { Swift.min($0, 4) }
                var j = i + 1
                while j < kept.count && kept[j].start < b + k - 1 {
                    bases += ref[b..<kept[j].start]
                    bases += kept[j].bases.map { Swift.min($0, 4) }
                    b = kept[j].end
                    j += 1
                }
                i = j
                let lo = Swift.max(0, a - k + 1), hi = Swift.min(ref.count, b + k - 1)
                let window = Array(ref[lo..<a]) + bases + Array(ref[b..<hi])
                let p = outputs[locus]
                out += [Float(locus), Float(Swift.min(lo, p)), Float(Swift.min(b, p)), Float(window.count)]
                out += window.map { Float($0) }
            }
        }
        return out
    }

    /// The dense edited sequences of one row (the oracle's input): each locus with the edits
    /// `editsKept` keeps applied.
    public func editedSequences(_ edits: [SequenceEdit]) -> [[UInt8]] {
        var sequences = references
        for s in 0..<references.count {
            for e in editsKept(edits, locus: s).reversed() {
                sequences[s].replaceSubrange(e.start..<e.end, with: e.bases.map { Swift.min($0, 4) })
            }
        }
        return sequences
    }

    /// The edits of `locus` that apply, in order: those inside the locus, an edit overlapping an
    /// earlier one (or a second insertion at the same point) dropped.
    public func editsKept(_ edits: [SequenceEdit], locus: Int) -> [SequenceEdit] {
        guard locus >= 0 && locus < references.count else { return [] }
        var kept: [SequenceEdit] = []
        let valid = edits.filter { $0.locus == locus && $0.start >= 0 && $0.start <= $0.end && $0.end <= references[locus].count }
            .sorted { ($0.start, $0.end) < ($1.start, $1.end) }
        for e in valid {
            if let last = kept.last {
                if e.start < last.end || (e.start == e.end && last.start == last.end && e.start == last.start) { continue }
            }
            kept.append(e)
        }
        return kept
    }

    // MARK: Convolution

    /// Transposes the weight to (K 4, F) rows, one per kernel position and base.
    func prepareWeight() {
        let f = filters, k = kernelSize
        if weightT.count != k * 4 * f { weightT = Array(repeating: 0, count: k * 4 * f) }
        let w = weight.value.pointer
        for fi in 0..<f { for j in 0..<k { for c in 0..<4 { weightT[(j * 4 + c) * f + fi] = w[(fi * k + j) * 4 + c] } } }
    }

    /// y[p, f] = bias[f] + sum over k of W[f, k, codes[p + k]] for the `count - K + 1` valid p:
    /// the one convolution every path (reference, windows, dense oracle) uses, so they agree bit for bit.
    func convolve(_ codes: UnsafePointer<UInt8>, count: Int, into y: UnsafeMutablePointer<Float>) {
        let f = filters, k = kernelSize
        guard count >= k else { return }
        let b = UnsafePointer(bias.value.pointer)
        weightT.withUnsafeBufferPointer { wt in
            guard let wt = wt.baseAddress else { return }
            for p in 0...(count - k) {
                let row = y + p * f
                row.update(from: b, count: f)
                for j in 0..<k {
                    let c = Int(codes[p + j])
                    if c >= 4 { continue }
                    let w = wt + (j * 4 + c) * f
                    for fi in 0..<f { row[fi] += w[fi] }
                }
            }
        }
    }

    /// `convolve` over an array of codes (empty output when shorter than the kernel).
    func convolve(_ codes: [UInt8]) -> [Float] {
        let count = Swift.max(0, codes.count - kernelSize + 1)
        var y = [Float](repeating: 0, count: count * filters)
        guard count > 0 else { return y }
        codes.withUnsafeBufferPointer { c in
            y.withUnsafeMutableBufferPointer { yy in
                if let c = c.baseAddress, let yy = yy.baseAddress { convolve(c, count: codes.count, into: yy) }
            }
        }
        return y
    }

    // MARK: Forward

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        let f = filters, s = references.count, top = Self.top
        prepareWeight()
        let total = (offsets.last ?? 0) + (outputs.last ?? 0)
        refOutput.resize([total, f])
        Parallel.chunks(s, cost: total * kernelSize * f / Swift.max(1, s)) { range in
            for l in range where outputs[l] > 0 {
                references[l].withUnsafeBufferPointer { codes in
                    if let codes = codes.baseAddress { convolve(codes, count: references[l].count, into: refOutput.pointer + offsets[l] * f) }
                }
            }
        }
        // Top positions per locus and filter (the earliest first among equals).
        topValue = Array(repeating: -.infinity, count: s * f * top)
        topPosition = Array(repeating: -1, count: s * f * top)
        for l in 0..<s {
            for p in offsets[l]..<(offsets[l] + outputs[l]) {
                let row = refOutput.pointer + p * f
                for fi in 0..<f {
                    let v = row[fi], base = (l * f + fi) * top
                    if !(v > topValue[base + top - 1]) { continue }
                    var slot = top - 1
                    while slot > 0 && topValue[base + slot - 1] < v {
                        topValue[base + slot] = topValue[base + slot - 1]
                        topPosition[base + slot] = topPosition[base + slot - 1]
                        slot -= 1
                    }
                    topValue[base + slot] = v
                    topPosition[base + slot] = Int32(p)
                }
            }
        }
        let rows = x.shape.count == 2 ? x.shape[0] : 0, width = x.shape.count == 2 ? x.shape[1] : 0
        let features = 2 * s * f
        output.resize([rows, features])
        argmax = Array(repeating: -1, count: rows * features)
        argmax.withUnsafeMutableBufferPointer { am in
            guard let am = am.baseAddress else { return }
            let box = UncheckedSendable(value: am)
            Parallel.chunks(rows, cost: 1 << 14) { range in
                var scratch: [Float] = [], codes: [UInt8] = []
                for r in range {
                    forwardRow(x.pointer + r * width, width: width, out: output.pointer + r * features,
                               argmax: box.value + r * features, scratch: &scratch, codes: &codes)
                }
            }
        }
        return output
    }

    /// The windows of an encoded row: locus, replaced outputs lo..<hi, float offset of the bases, base count.
    /// Reading stops at the first record that does not fit.
    func windows(_ row: UnsafePointer<Float>, width: Int) -> [(locus: Int, lo: Int, hi: Int, at: Int, n: Int)] {
        var list: [(locus: Int, lo: Int, hi: Int, at: Int, n: Int)] = []
        var i = 0
        while i + 4 <= width {
            let lf = row[i], lof = row[i + 1], hif = row[i + 2], nf = row[i + 3]
            guard lf >= 0, lf < Float(references.count), lof >= 0, hif >= lof, nf >= 0, nf < Float(width) else { break }
            let l = Int(lf), lo = Int(lof), hi = Int(hif), n = Int(nf)
            guard hi <= outputs[l], i + 4 + n <= width else { break }
            list.append((l, lo, hi, i + 4, n))
            i += 4 + n
        }
        return list
    }

    private func forwardRow(_ row: UnsafePointer<Float>, width: Int, out: UnsafeMutablePointer<Float>,
                            argmax am: UnsafeMutablePointer<Int32>, scratch: inout [Float], codes: inout [UInt8]) {
        let f = filters, s = references.count, top = Self.top, k = kernelSize
        // Loci without edits: the reference maximum; variant block 0.
        for l in 0..<s {
            for fi in 0..<f {
                let base = (l * f + fi) * top
                out[l * f + fi] = topPosition[base] >= 0 ? topValue[base] : 0
                am[l * f + fi] = topPosition[base]
                out[(s + l) * f + fi] = 0
                am[(s + l) * f + fi] = -1
            }
        }
        let list = windows(row, width: width)
        var w = 0
        while w < list.count {
            let l = list[w].locus
            var end = w
            while end < list.count && list[end].locus == l { end += 1 }
            // Full block: the best reference output outside every window of this locus.
            for fi in 0..<f {
                var best = -Float.infinity, arg: Int32 = -1
                let base = (l * f + fi) * top
                var found = false
                for slot in 0..<top {
                    let p = Int(topPosition[base + slot])
                    if p < 0 { found = true; break }  // fewer outputs than slots: all were seen
                    let local = p - offsets[l]
                    if !(w..<end).contains(where: { local >= list[$0].lo && local < list[$0].hi }) {
                        best = topValue[base + slot]; arg = Int32(p); found = true
                        break
                    }
                }
                if !found {
                    // Every kept top position is inside a window: scan the rest of the locus.
                    var a = 0
                    for wi in w...end {
                        let b = wi < end ? list[wi].lo : outputs[l]
                        while a < b {
                            let v = refOutput.pointer[(offsets[l] + a) * f + fi]
                            if v > best { best = v; arg = Int32(offsets[l] + a) }
                            a += 1
                        }
                        if wi < end { a = Swift.max(a, list[wi].hi) }
                    }
                }
                out[l * f + fi] = best
                am[l * f + fi] = arg
                out[(s + l) * f + fi] = -.infinity
            }
            // Window outputs.
            for wi in w..<end {
                let (_, _, _, at, n) = list[wi]
                guard n >= k else { continue }
                let count = n - k + 1
                if scratch.count < count * f { scratch = Array(repeating: 0, count: count * f) }
                if codes.count < n { codes = Array(repeating: 0, count: n) }
                for i in 0..<n { let v = row[at + i]; codes[i] = v >= 0 && v < 4 ? UInt8(v) : 4 }
                codes.withUnsafeBufferPointer { c in
                    scratch.withUnsafeMutableBufferPointer { y in
                        guard let c = c.baseAddress, let y = y.baseAddress else { return }
                        convolve(c, count: n, into: y)
                        for p in 0..<count {
                            for fi in 0..<f {
                                let v = y[p * f + fi]
                                if v > out[l * f + fi] { out[l * f + fi] = v; am[l * f + fi] = Int32(-2 - (at + p)) }
                                if v > out[(s + l) * f + fi] { out[(s + l) * f + fi] = v; am[(s + l) * f + fi] = Int32(-2 - (at + p)) }
                            }
                        }
                    }
                }
            }
            // A locus edited down to nothing pools to 0, as the dense oracle does.
            for fi in 0..<f {
                if out[l * f + fi] == -.infinity { out[l * f + fi] = 0; am[l * f + fi] = -1 }
                if out[(s + l) * f + fi] == -.infinity { out[(s + l) * f + fi] = 0; am[(s + l) * f + fi] = -1 }
            }
            w = end
        }
    }

    // MARK: Backward

    public func backward(_ dy: Tensor) -> Tensor {
        let f = filters, k = kernelSize, s = references.count
        let rows = input.shape.count == 2 ? input.shape[0] : 0, width = input.shape.count == 2 ? input.shape[1] : 0
        let features = 2 * s * f
        let dW = weight.gradient.pointer, dB = bias.gradient.pointer
        let total = (offsets.last ?? 0) + (outputs.last ?? 0)
        if refGradient.count != total * f { refGradient = Array(repeating: 0, count: total * f) }
        // Reference arg maxes are shared by most rows: sum their gradients per (position, filter) first.
        var touched: [Int] = []
        for r in 0..<rows {
            let g = dy.pointer + r * features, am = r * features, row = input.pointer + r * width
            for j in 0..<features {
                let gv = g[j], a = argmax[am + j]
                if gv == 0 || a == -1 { continue }
                let fi = j % f
                if a >= 0 {
                    let key = Int(a) * f + fi
                    if refGradient[key] == 0 { touched.append(key) }
                    refGradient[key] += gv
                } else {
                    let at = Int(-2 - a)
                    dB[fi] += gv
                    for kj in 0..<k {
                        let c = Int(row[at + kj])
                        if c >= 0 && c < 4 { dW[(fi * k + kj) * 4 + c] += gv }
                    }
                }
            }
        }
        for key in touched {
            let gv = refGradient[key]
            refGradient[key] = 0
            if gv == 0 { continue }
            let p = key / f, fi = key % f, l = Int(locusOfOutput[p]), local = p - offsets[l]
            dB[fi] += gv
            for kj in 0..<k {
                let c = Int(references[l][local + kj])
                if c < 4 { dW[(fi * k + kj) * 4 + c] += gv }
            }
        }
        _ = s
        return Tensor.none
    }

    // MARK: Oracle

    /// The dense computation the layer stands for (the test oracle): the convolution over every
    /// position of each edited locus, max-pooled per locus, and the variant block over the outputs
    /// whose receptive field touches an edited base. Rows of 2 S F.
    public func denseForward(_ rows: [[SequenceEdit]]) -> [[Float]] {
        prepareWeight()
        let f = filters, s = references.count, k = kernelSize
        return rows.map { edits in
            let sequences = editedSequences(edits)
            var out = [Float](repeating: 0, count: 2 * s * f)
            for l in 0..<s {
                let y = convolve(sequences[l])
                let count = y.count / f
                guard count > 0 else { continue }
                var touched = [Bool](repeating: false, count: count)
                var shift = 0
                for e in editsKept(edits, locus: l) {
                    let a = e.start + shift, b = a + e.bases.count
                    shift += e.bases.count - (e.end - e.start)
                    let lo = Swift.max(0, a - k + 1), hi = Swift.min(count, b)
                    if lo < hi { for p in lo..<hi { touched[p] = true } }
                }
                for fi in 0..<f {
                    var best = -Float.infinity, near = -Float.infinity
                    for p in 0..<count {
                        best = Swift.max(best, y[p * f + fi])
                        if touched[p] { near = Swift.max(near, y[p * f + fi]) }
                    }
                    out[l * f + fi] = best
                    out[(s + l) * f + fi] = near == -.infinity ? 0 : near
                }
            }
            return out
        }
    }
}
