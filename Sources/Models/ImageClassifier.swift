import Corpus
import Foundation
import Neural
import Statistics
import Vision

/// How an image becomes a model input; saved with the model so prediction repeats it exactly.
///
/// Steps: match channels (colour to grey by luma, grey to colour by copying), resize to
/// `width` x `height`, scale to [0, 1], (augment, when training), stack the `zooms` as channels
/// (`ImageBuffer.zoomStack`), then standardise with the training set's `mean` and `std`.
public struct ImagePreprocessing: Codable, Sendable, Equatable {
    /// Input width and height.
    public var width: Int, height: Int
    /// Image channels (1 grey, 3 RGB) before the zoom stack.
    public var channels: Int
    /// Zoom levels stacked as channels (1 = whole image).
    public var zooms: [Float]
    /// Standardisation of [0, 1] samples: (x - mean) / std.
    public var mean: Float, std: Float
    /// Average the probabilities of the image and its mirror image at prediction.
    public var flipAveraging: Bool
    /// Binary tasks: Platt scaling fitted on the validation images (`triage train image
    /// --calibrate`), [slope, intercept] on the log-odds of the last class: p' = sigmoid(slope
    /// logit(p) + intercept), logit(p) taken from the logits in float64 (`ImageClassifier.logOdds`).
    /// The slope is positive, so ranks and AUC are kept; ACC at 0.5 then uses the calibrated
    /// probabilities.
    public var calibration: [Float]?

    /// A preprocessing description.
    public init(width: Int, height: Int, channels: Int, zooms: [Float] = [1], mean: Float = 0.5, std: Float = 0.25,
                flipAveraging: Bool = false) {
        self.width = width
        self.height = height
        self.channels = channels
        self.zooms = zooms.isEmpty ? [1] : zooms
        self.mean = mean
        self.std = std
        self.flipAveraging = flipAveraging
    }

    /// Model input channels: image channels x zoom levels.
    public var inputChannels: Int { channels * zooms.count }

    /// The largest calibration slope and intercept magnitude a model file may hold (and a fit may give).
    public static let maximumCalibration: Float = 1_000_000

    /// The largest image side a model may ask for.
    public static let maximumSide = 4096

    /// Why this description cannot be applied (a model file is untrusted input), or nil.
    public var problem: String? {
        guard (1...Self.maximumSide).contains(width), (1...Self.maximumSide).contains(height) else {
            return "image size \(width)x\(height) is outside 1...\(Self.maximumSide)"
        }
        guard channels == 1 || channels == 3 else { return "images have 1 or 3 channels, not \(channels)" }
        guard (1...8).contains(zooms.count), zooms.allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 64 }) else {
            return "zooms \(zooms) must be 1 to 8 levels in (0, 64]"
        }
        guard mean.isFinite, std.isFinite, std > 0 else { return "standardisation mean \(mean), std \(std) is not usable" }
        if let c = calibration, c.count != 2 || !c.allSatisfy(\.isFinite) || c[0] <= 0 {
            return "calibration \(c) is not [positive slope, intercept]"
        }
        // A Platt fit gives slopes and intercepts of a few units, thousands when a weak model's
        // probabilities sit in a narrow band (fitPlatt keeps to this limit); [1e38, -1e38] would
        // overflow to infinity and call every image one class.
        if let c = calibration, c[0] > Self.maximumCalibration || abs(c[1]) > Self.maximumCalibration {
            return "calibration \(c) is outside a slope of (0, 10^6] and an intercept of +-10^6"
        }
        return nil
    }

    /// The image at model size and channels, samples in [0, 1] (before augmentation).
    public func base(_ image: AnyImage) -> ImageBuffer<Float> {
        var x = image.normalized()
        if x.channels != channels {
            if channels == 1 {
                x = x.grey()
            } else {
                let grey = x.grey()
                var out = [Float](); out.reserveCapacity(grey.pixels.count * channels)
                for v in grey.pixels { for _ in 0..<channels { out.append(v) } }
                x = ImageBuffer(width: grey.width, height: grey.height, channels: channels, pixels: out) ?? grey
            }
        }
        return x.resized(width: width, height: height)
    }

    /// Writes the model input of a base image into `destination` ((H, W, C') floats).
    public func finish(_ base: ImageBuffer<Float>, into destination: UnsafeMutablePointer<Float>) {
        let stacked = zooms == [1] ? base : base.zoomStack(zooms)
        let inv = 1 / max(std, 1e-6)
        for (i, v) in stacked.pixels.enumerated() { destination[i] = (v - mean) * inv }
    }
}

/// Why an image model could not be trained, loaded or applied.
public struct ImageModelError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and how to fix it.
    public var message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A trained image classifier: the network, its preprocessing and its output labels.
public final class ImageClassifier {
    /// The network: (B, H, W, C') -> (B, K) logits.
    public let model: Layer
    /// How images become inputs.
    public internal(set) var preprocessing: ImagePreprocessing
    /// Output names, in output order (for MedMNIST the class indices "0", "1", ...).
    public let labels: [String]
    /// True for independent sigmoid outputs; false for one softmax over classes.
    public let multiLabel: Bool
    /// The task the model was trained on.
    public let task: String
    /// Metrics measured at training time.
    public var metrics: [String: Double]

    /// A classifier from its parts.
    public init(model: Layer, preprocessing: ImagePreprocessing, labels: [String], multiLabel: Bool, task: String,
                metrics: [String: Double] = [:]) {
        self.model = model
        self.preprocessing = preprocessing
        self.labels = labels
        self.multiLabel = multiLabel
        self.task = task
        self.metrics = metrics
    }

    /// Saves the model directory (config.json + weights.safetensors).
    public func save(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let prep = String(decoding: try encoder.encode(preprocessing), as: UTF8.self)
        try ModelFile.replacingFolder(directory) { folder in
            try ModelFile.save(model, to: folder, labels: labels,
                               preprocessing: ["kind": "image", "image": prep, "task": task,
                                               "outputs": multiLabel ? "multi-label" : "multi-class"],
                               metrics: metrics)
        }
    }

    /// Loads a model directory written by `save`; refuses models of other kinds.
    public static func load(from directory: URL) throws -> ImageClassifier {
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(ModelFile.configName).path) else {
            throw ImageModelError("\(directory.path): no \(ModelFile.configName); pass the folder `triage train image --output` wrote")
        }
        // The config is untrusted: the preprocessing must be usable and the network must turn an
        // input of that size into one output per label, checked before the weights are read.
        var checked: ImagePreprocessing?
        let (model, file) = try ModelFile.load(from: directory) { file in checked = try ImageClassifier.check(file, in: directory) }
        guard let prep = checked else { throw ImageModelError("\(directory.path): the model config was not checked") }
        return ImageClassifier(model: model, preprocessing: prep, labels: file.labels,
                               multiLabel: file.preprocessing["outputs"] == "multi-label",
                               task: file.preprocessing["task"] ?? "", metrics: file.metrics)
    }

    /// The preprocessing of an image model's config, once the config is known to be usable: an image
    /// model, its preprocessing valid, its labels named once, its network turning an input of that size
    /// into one output per label, and outputs and calibration that go together.
    static func check(_ file: ModelFile, in directory: URL) throws -> ImagePreprocessing {
        guard file.preprocessing["kind"] == "image", let text = file.preprocessing["image"],
              let prep = try? JSONDecoder().decode(ImagePreprocessing.self, from: Data(text.utf8)) else {
            throw ImageModelError("\(directory.path): not an image model (train one with `triage train image`)")
        }
        if let problem = prep.problem {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): \(problem)")
        }
        guard !file.labels.isEmpty, Set(file.labels).count == file.labels.count else {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): the model must name its labels, each once")
        }
        do {
            let output = try file.architecture.outputShape(for: [1, prep.height, prep.width, prep.inputChannels])
            guard output == [1, file.labels.count] else {
                throw ImageModelError("\(directory.path)/\(ModelFile.configName): the network gives outputs of shape \(output) for \(file.labels.count) labels")
            }
        } catch let error as NeuralError {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): the network cannot read \(prep.width)x\(prep.height)x\(prep.inputChannels) images: \(error)")
        }
        // The outputs kind decides softmax or sigmoids: a value this version does not write is
        // refused, not read as multi-class.
        let outputs = file.preprocessing["outputs"] ?? "multi-class"
        guard outputs == "multi-class" || outputs == "multi-label" else {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): outputs '\(outputs.prefix(40))' is neither multi-class nor multi-label")
        }
        if outputs == "multi-label", prep.calibration != nil {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): calibration is only for multi-class models")
        }
        if file.labels.count != 2, prep.calibration != nil {
            throw ImageModelError("\(directory.path)/\(ModelFile.configName): calibration is only for two-class models")
        }
        return prep
    }

    /// Probabilities per image (softmax over classes, or a sigmoid per label), in input order.
    public func probabilities(_ images: [AnyImage], batchSize: Int = 256) -> [[Float]] {
        probabilities(bases: images.map { preprocessing.base($0) }, batchSize: batchSize)
    }

    /// Probabilities of images already at model size in [0, 1] (`ImagePreprocessing.base`).
    public func probabilities(bases: [ImageBuffer<Float>], batchSize: Int = 256) -> [[Float]] {
        if let c = preprocessing.calibration, c.count == 2, !multiLabel, labels.count == 2 {
            return logOdds(bases: bases, batchSize: batchSize).map { Self.calibrated(logOdds: $0, slope: c[0], intercept: c[1]) }
        }
        var out = raw(bases, batchSize: batchSize)
        if preprocessing.flipAveraging {
            let mirrored = raw(bases.map { $0.flippedHorizontally() }, batchSize: batchSize)
            for i in out.indices { for k in out[i].indices { out[i][k] = (out[i][k] + mirrored[i][k]) / 2 } }
        }
        return out
    }

    /// A two-class model's log-odds of the last class per image, before calibration: those of its
    /// softmax, averaged with the mirror image's in probability under flip averaging. What Platt
    /// scaling is fitted on and applied to (`calibrated(logOdds:slope:intercept:)`).
    func logOdds(bases: [ImageBuffer<Float>], batchSize: Int = 256) -> [Double] {
        let plain = logits(bases, batchSize: batchSize)
        let mirrored = preprocessing.flipAveraging ? logits(bases.map { $0.flippedHorizontally() }, batchSize: batchSize) : []
        return plain.indices.map { i in
            Self.logOdds(differences: ([plain[i]] + (mirrored.isEmpty ? [] : [mirrored[i]])).map { Double($0[1]) - Double($0[0]) })
        }
    }

    /// The bound of the log-odds calibration reads: those of p = 1 - 1e-7 (and -bound, p = 1e-7).
    static let logOddsBound = log((1 - 1e-7) / 1e-7)

    /// The log-odds of the mean of sigmoid(d) over views (d = logit of the last class minus the
    /// other's, one per view), clamped to +-`logOddsBound`. In float64 from the logits, the mean
    /// of sigmoid(-d) taken as it is rather than as 1 - p: a probability rounded to float32 before
    /// its log-odds (steps of 6e-8 near 1) moved the small calibrated probability by up to 2e-4
    /// relative near p = 0.99.
    static func logOdds(differences d: [Double]) -> Double {
        let p = d.reduce(0.0) { $0 + 1 / (1 + exp(-$1)) }, q = d.reduce(0.0) { $0 + 1 / (1 + exp($1)) }
        let x = log(p) - log(q)
        return x.isNaN ? x : min(max(x, -logOddsBound), logOddsBound)
    }

    /// The log-odds of a probability, clamped as `logOdds(differences:)` clamps.
    static func logOdds(probability p: Double) -> Double {
        min(max(log(p) - log1p(-p), -logOddsBound), logOddsBound)
    }

    /// Platt scaling of log-odds x: [1 - p, p] with p = sigmoid(slope x + intercept), each side
    /// computed as its own sigmoid in float64 so the small one keeps its relative precision.
    static func calibrated(logOdds x: Double, slope: Float, intercept: Float) -> [Float] {
        let z = Double(slope) * x + Double(intercept)
        return [Float(1 / (1 + exp(z))), Float(1 / (1 + exp(-z)))]
    }

    /// Platt scaling (Platt 1999): the slope and intercept of a logistic regression of the labels
    /// on the log-odds x (`logOdds(bases:)`), by Newton's method, with Platt's smoothed targets ((N+ + 1) / (N+ + 2) and
    /// 1 / (N- + 2)) so a separable set keeps finite values. Nil when the fit does not give a
    /// positive slope (probabilities unrelated to the labels), one past `maximumCalibration`, or a class is missing.
    public static func fitPlatt(logOdds x: [Double], positives: [Bool]) -> (slope: Float, intercept: Float)? {
        let nPos = Double(positives.filter { $0 }.count), nNeg = Double(positives.count) - nPos
        guard nPos > 0, nNeg > 0, x.count == positives.count else { return nil }
        let hi = (nPos + 1) / (nPos + 2), lo = 1 / (nNeg + 2)
        let t = positives.map { $0 ? hi : lo }
        func loss(_ a: Double, _ b: Double) -> Double {  // the cross-entropy, computed without overflow
            zip(x, t).reduce(0.0) { sum, pair in
                let z = a * pair.0 + b
                return sum + (z >= 0 ? (1 - pair.1) * z + log1p(exp(-z)) : -pair.1 * z + log1p(exp(z)))
            }
        }
        // Newton steps with backtracking (Lin, Lin and Weng 2007): a full step can overshoot when
        // the log-odds reach +-16.
        var a = 1.0, b = 0.0, current = loss(a, b)
        for _ in 0..<100 {
            var ga = 0.0, gb = 0.0, haa = 1e-12, hab = 0.0, hbb = 1e-12
            for (xi, ti) in zip(x, t) {
                let q = 1 / (1 + exp(-(a * xi + b))), w = q * (1 - q)
                ga += (q - ti) * xi; gb += q - ti
                haa += w * xi * xi; hab += w * xi; hbb += w
            }
            let det = haa * hbb - hab * hab
            guard det > 1e-12, abs(ga) + abs(gb) > 1e-9 else { break }
            let da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det
            var step = 1.0, improved = false
            while step > 1e-10 {
                let next = loss(a - step * da, b - step * db)
                if next < current - 1e-4 * step * (ga * da + gb * db) { a -= step * da; b -= step * db; current = next; improved = true; break }
                step /= 2
            }
            if !improved { break }
        }
        let limit = Double(ImagePreprocessing.maximumCalibration)
        guard a.isFinite, b.isFinite, a > 0, a <= limit, abs(b) <= limit else { return nil }
        return (Float(a), Float(b))
    }

    /// Softmax over classes, or a sigmoid per label, of each image's logits (float32, as the engine gives them).
    func raw(_ bases: [ImageBuffer<Float>], batchSize: Int) -> [[Float]] {
        let probs = Tensor()
        var out: [[Float]] = []
        out.reserveCapacity(bases.count)
        forEachBatch(bases, batchSize: batchSize) { logits, rows, k in
            if multiLabel {
                for r in 0..<rows { out.append((0..<k).map { 1 / (1 + expf(-logits.pointer[r * k + $0])) }) }
            } else {
                softmax(logits, into: probs)
                for r in 0..<rows { out.append(Array(UnsafeBufferPointer(start: probs.pointer + r * k, count: k))) }
            }
        }
        return out
    }

    /// The network's logits (K per image), in input order.
    func logits(_ bases: [ImageBuffer<Float>], batchSize: Int) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(bases.count)
        forEachBatch(bases, batchSize: batchSize) { logits, rows, k in
            for r in 0..<rows { out.append(Array(UnsafeBufferPointer(start: logits.pointer + r * k, count: k))) }
        }
        return out
    }

    /// Runs the network on `batchSize` images at a time: `body(logits (rows, K), rows, K)` per batch, in order.
    private func forEachBatch(_ bases: [ImageBuffer<Float>], batchSize: Int, _ body: (Tensor, Int, Int) -> Void) {
        let p = preprocessing
        let per = p.width * p.height * p.inputChannels
        let input = Tensor()
        var start = 0
        while start < bases.count {
            let end = min(start + max(1, batchSize), bases.count)
            input.resize([end - start, p.height, p.width, p.inputChannels])
            for i in start..<end { p.finish(bases[i], into: input.pointer + (i - start) * per) }
            let logits = model.forward(input, training: false)
            body(logits, end - start, logits.shape.last ?? 1)
            start = end
        }
    }

    /// Metrics of the model on labelled images (class ids for multi-class models; 0/1/nil rows for multi-label).
    public func evaluate(bases: [ImageBuffer<Float>], labels truth: [[Int?]]) -> ImageMetrics {
        evaluate(probabilities: probabilities(bases: bases), labels: truth)
    }

    /// Metrics of probabilities this classifier gave, against their labels.
    public func evaluate(probabilities: [[Float]], labels truth: [[Int?]]) -> ImageMetrics {
        if multiLabel { return ImageMetrics.multiLabel(probabilities: probabilities, truth: truth, labels: labels) }
        let classes = truth.map { row in row.firstIndex(of: 1) ?? 0 }
        return ImageMetrics.multiClass(probabilities: probabilities, classes: classes, labels: labels)
    }

    /// ROC curves of probabilities this classifier gave on `split`, against 0/1 label rows (one-hot
    /// for a multi-class task, nil = missing): the positive class of a binary task, otherwise each
    /// class or label against the rest. A class without both outcomes has no curve.
    public func rocCurves(probabilities: [[Float]], labels truth: [[Int?]], split: String) -> [ModelCurves.ROC] {
        let columns = !multiLabel && labels.count == 2 ? [1] : Array(labels.indices)
        return columns.compactMap { c -> ModelCurves.ROC? in
            let pairs: [(Double, Bool)] = zip(probabilities, truth).compactMap { p, y in
                guard c < p.count, c < y.count, let value = y[c] else { return nil }
                return (Double(p[c]), value == 1)
            }
            let scores = pairs.map(\.0), positives = pairs.map(\.1)
            guard let auc = Metrics.rocAUC(scores: scores, labels: positives) else { return nil }
            return ModelCurves.ROC(name: "class \(labels[c])", split: split, auc: auc,
                                   points: Metrics.rocCurve(scores: scores, labels: positives))
        }
    }
}
