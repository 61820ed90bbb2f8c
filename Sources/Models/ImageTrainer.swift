import Corpus
import Foundation
import Neural
import Vision

/// Settings of `triage train image`.
public struct ImageTrainingOptions: Codable, Sendable, Equatable {
    /// Architecture, width and dropout (channels and outputs are set from the data).
    public var network = ImageNetworkConfiguration()
    /// Passes over the training images (at most; early stopping may end sooner).
    public var epochs = 30
    /// Images per mini-batch.
    public var batchSize = 64
    /// Peak learning rate of AdamW (one warm-up epoch, then cosine decay to 1% of it).
    public var learningRate: Float = 2e-3
    /// Decoupled weight decay of AdamW.
    public var weightDecay: Float = 1e-4
    /// Random changes of training images.
    public var augmentation = ImageAugmentation()
    /// Zoom levels stacked as input channels.
    public var zooms: [Float] = [1]
    /// Input size (square); default: the most common training image width.
    public var size: Int?
    /// Weight classes (or positive labels) inversely to their frequency.
    public var balanced = false
    /// Stop after this many epochs without a better validation AUC (nil: train every epoch).
    public var patience: Int? = 10
    /// Seed of weights, shuffling, augmentation and the validation hold-out.
    public var seed: UInt64 = 1
    /// Start from this trained image model (same architecture; a head of another size is re-initialised).
    public var initModel: URL?
    /// Freeze the first N blocks (with `initModel`).
    public var freeze = 0
    /// Average each image's probabilities with its mirror image's at evaluation and prediction.
    public var flipAveraging = false
    /// Train this many networks (seeds seed, seed+1000, ...) and average their logits in one model.
    public var ensemble = 1
    /// Binary tasks: fit Platt scaling on the validation images (`ImagePreprocessing.calibration`).
    public var calibrate = false

    /// Default options.
    public init() {}

    /// "arch small, width 32, dropout 0.2, epochs 100 (patience 30), ..." : every setting, as the flags name them.
    public var summary: String {
        var parts = ["arch \(network.architecture.rawValue)", "width \(network.width)", "dropout \(network.dropout)",
                     "epochs \(epochs)" + (patience.map { " (patience \($0))" } ?? " (no early stop)"),
                     "batch size \(batchSize)", "learning rate \(learningRate)", "weight decay \(weightDecay)",
                     "augment \(augmentation.list)", "zooms " + zooms.map { $0 == $0.rounded() ? String(Int($0)) : "\($0)" }.joined(separator: ","),
                     "size " + (size.map(String.init) ?? "the images' usual width")]
        if balanced { parts.append("balanced") }
        if flipAveraging { parts.append("flip averaging") }
        if calibrate { parts.append("calibrate") }
        parts.append("ensemble \(ensemble)")
        parts.append("seed \(seed)")
        if let initModel { parts.append("init \(initModel.path)" + (freeze > 0 ? ", freeze \(freeze)" : "")) }
        return parts.joined(separator: ", ")
    }
}

/// What one epoch of image training measured.
public struct ImageEpochRecord: Codable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var validationAUC: Double?
    public var validationAccuracy: Double
    public var samplesPerSecond: Double
}

/// What image training tells its caller while it runs (it writes nothing itself).
public enum ImageTrainingEvent: Sendable {
    /// Ensemble member `member` (1-based) of `of` starts training.
    case member(Int, of: Int)
    /// An epoch ended: its record, whether it is the best so far (its weights are kept), the
    /// epoch kept so far, and whether patience ran out and this member stops here.
    case epoch(ImageEpochRecord, isBest: Bool, keptEpoch: Int, stopsEarly: Bool)
    /// Platt scaling was fitted on the validation images.
    case calibrated(slope: Float, intercept: Float)
    /// Calibration was asked for and not done.
    case calibrationSkipped(CalibrationSkip)

    /// Why calibration was not done.
    public enum CalibrationSkip: Sendable {
        /// It applies to tasks with two classes; this one has `labels` ("several labels", "3 classes").
        case notBinary(labels: String)
        /// The validation images do not support a fit (a class is missing, or no positive slope).
        case noFit
    }
}

/// What `ImageTrainer.train` reports.
public struct ImageTrainingReport: Codable, Sendable {
    public var task: String
    public var labels: [String]
    public var multiLabel: Bool
    public var trainImages: Int, validationImages: Int, testImages: Int
    public var epochs: [ImageEpochRecord]
    /// The kept epoch of each ensemble member (one entry without an ensemble).
    public var bestEpochs: [Int]
    public var validation: ImageMetrics
    public var test: ImageMetrics?
    public var seconds: Double
    public var transferredTensors: Int
    public var frozenTensors: Int
    /// The recipe the settings came from ("few images", "many images"), when the caller chose by one.
    public var recipe: String?
    /// The settings it trained with.
    public var settings: ImageTrainingOptions?
    /// ROC curves on the test split (validation when there is none), for the model card (not in the JSON).
    public var roc: [ModelCurves.ROC] = []

    enum CodingKeys: String, CodingKey {
        case task, labels, multiLabel, trainImages, validationImages, testImages, epochs, bestEpochs, validation, test,
             seconds, transferredTensors, frozenTensors, recipe, settings
    }
}

/// Trains image CNNs on corpus tasks: multi-class (softmax) or multi-label (sigmoid, missing labels masked),
/// class weights, augmentation, zoom stacks, early stopping on validation AUC, transfer learning.
public enum ImageTrainer {
    /// Images of one split turned into bases and label rows.
    struct Split {
        var bases: [ImageBuffer<Float>] = []
        var labels: [[Int?]] = []
    }

    /// Trains a classifier on `data` (splits from the corpus; a validation split is held out of train
    /// when there is none) and reports validation and test metrics of the best epoch; `progress`
    /// hears of each member, epoch and the calibration; `stop`, asked after every step, ends
    /// training with `TrainingStopped`.
    public static func train(_ data: ImageTaskData, options: ImageTrainingOptions, stop: StopCondition = .never,
                             progress: (ImageTrainingEvent) -> Void = { _ in }) throws -> (ImageClassifier, ImageTrainingReport) {
        let started = Date()
        let multiLabel = !data.isMultiClass
        let labels = data.observations
        guard !labels.isEmpty else { throw ImageModelError("task \(data.task) has no observations") }
        // Channels: grey unless every image is colour.
        let channels = data.images.allSatisfy { $0.image.channels == 3 } ? 3 : 1
        let size = options.size ?? ImageTaskProfile(data).usualWidth
        guard size >= 8 && size <= 512 else {
            throw ImageModelError("image size \(size) is outside 8...512; set the input size (8 to 512 pixels)")
        }
        var prep = ImagePreprocessing(width: size, height: size, channels: channels, zooms: options.zooms,
                                      flipAveraging: options.flipAveraging)

        var train = Split(), validation = Split(), test = Split()
        var pool: [(ImageBuffer<Float>, [Int?])] = []
        for image in data.images {
            let row = image.labels.count == labels.count ? image.labels : [Int?](repeating: nil, count: labels.count)
            if !multiLabel && row.compactMap({ $0 }).reduce(0, +) != 1 { continue }
            if multiLabel && row.allSatisfy({ $0 == nil }) { continue }
            let base = prep.base(image.image)
            switch image.split {
            case .val: validation.bases.append(base); validation.labels.append(row)
            case .test: test.bases.append(base); test.labels.append(row)
            default: pool.append((base, row))
            }
        }
        if validation.bases.isEmpty {
            // Hold out a seeded 10% of the training images.
            var rng = SplitMix64(seed: options.seed &+ 99)
            var order = Array(pool.indices)
            rng.shuffle(&order)
            let held = Set(order.prefix(max(1, pool.count / 10)))
            for (i, item) in pool.enumerated() {
                if held.contains(i) { validation.bases.append(item.0); validation.labels.append(item.1) }
                else { train.bases.append(item.0); train.labels.append(item.1) }
            }
        } else {
            for item in pool { train.bases.append(item.0); train.labels.append(item.1) }
        }
        guard train.bases.count >= 2 else {
            throw ImageModelError("task \(data.task) has \(train.bases.count) usable training images; import more")
        }
        // Standardise with the training images' mean and standard deviation.
        var sum = 0.0, squares = 0.0, n = 0.0
        for base in train.bases { for v in base.pixels { sum += Double(v); squares += Double(v) * Double(v); n += 1 } }
        let mean = sum / max(n, 1)
        prep.mean = Float(mean)
        prep.std = Float(max((squares / max(n, 1) - mean * mean).squareRoot(), 1e-3))

        // Targets and the loss.
        let k = labels.count
        let loss: Loss
        let targets: Tensor, mask: Tensor?
        if multiLabel {
            targets = Tensor(shape: [train.bases.count, k])
            let m = Tensor(shape: [train.bases.count, k])
            var positives = [Double](repeating: 0, count: k), negatives = [Double](repeating: 0, count: k)
            for (i, row) in train.labels.enumerated() {
                for (c, v) in row.enumerated() {
                    guard let v else { continue }
                    targets.pointer[i * k + c] = Float(v)
                    m.pointer[i * k + c] = 1
                    if v == 1 { positives[c] += 1 } else { negatives[c] += 1 }
                }
            }
            mask = m
            let weights = (0..<k).map { Float(min(max(negatives[$0] / max(positives[$0], 1), 0.1), 100)) }
            loss = BinaryCrossEntropy(positiveWeights: options.balanced ? weights : nil)
        } else {
            targets = Tensor(shape: [train.bases.count])
            var counts = [Double](repeating: 0, count: k)
            for (i, row) in train.labels.enumerated() {
                let c = row.firstIndex(of: 1) ?? 0
                targets.pointer[i] = Float(c)
                counts[c] += 1
            }
            mask = nil
            let total = Double(train.bases.count)
            let weights = counts.map { Float(total / (Double(k) * max($0, 1))) }
            loss = SoftmaxCrossEntropy(classWeights: options.balanced ? weights : nil)
        }

        // The network(s), optionally started from another model.
        var network = options.network
        network.inputChannels = prep.inputChannels
        network.outputs = k
        let source = ImageBatchSource(bases: train.bases, targets: targets, mask: mask, preprocessing: prep,
                                      augmentation: options.augmentation, seed: options.seed &+ 7)
        var members: [Graph] = []
        var history: [ImageEpochRecord] = []
        var bestEpochs: [Int] = []
        var transferred = 0, frozen = 0
        for member in 0..<max(options.ensemble, 1) {
            let seed = options.seed &+ UInt64(member) &* 1000
            WeightSeed.reset(to: seed)
            let graph = ImageNetwork.build(network)
            if let initModel = options.initModel {
                let start = try ImageClassifier.load(from: initModel)
                guard start.preprocessing.inputChannels == prep.inputChannels else {
                    throw ImageModelError("the initial model takes \(start.preprocessing.inputChannels) input channels, this task needs \(prep.inputChannels) (match the zoom levels)")
                }
                transferred = ImageNetwork.transfer(from: start.model, to: graph).count
                guard transferred > 0 else {
                    throw ImageModelError("the initial model shares no weights with a \(network.architecture.rawValue) network of width \(network.width); start from a model of the same architecture and width (and train one network, not an ensemble)")
                }
                frozen = ImageNetwork.freeze(graph, blocks: options.freeze)
            }
            if options.ensemble > 1 { progress(.member(member + 1, of: options.ensemble)) }
            let probe = ImageClassifier(model: graph, preprocessing: prep, labels: labels, multiLabel: multiLabel, task: data.task)
            let (records, bestEpoch) = fit(probe, graph: graph, source: source, validation: validation, loss: loss,
                                          options: options, seed: seed, stop: stop, progress: progress)
            if stop.requested() { throw TrainingStopped() }
            history += records
            bestEpochs.append(bestEpoch)
            members.append(graph)
        }
        let classifier = ImageClassifier(model: members.count > 1 ? ImageNetwork.ensemble(members, configuration: network) : members[0],
                                         preprocessing: prep, labels: labels, multiLabel: multiLabel, task: data.task)
        if options.calibrate && (multiLabel || labels.count != 2) {
            progress(.calibrationSkipped(.notBinary(labels: multiLabel ? "several labels" : "\(labels.count) classes")))
        }
        if options.calibrate && !multiLabel && labels.count == 2 {
            let x = classifier.logOdds(bases: validation.bases)
            let fit = ImageClassifier.fitPlatt(logOdds: x, positives: validation.labels.map { $0.firstIndex(of: 1) == 1 })
            if let fit {
                classifier.preprocessing.calibration = [fit.slope, fit.intercept]
                progress(.calibrated(slope: fit.slope, intercept: fit.intercept))
            } else {
                progress(.calibrationSkipped(.noFit))
            }
        }
        let validationProbabilities = classifier.probabilities(bases: validation.bases)
        let validationMetrics = classifier.evaluate(probabilities: validationProbabilities, labels: validation.labels)
        let testProbabilities = classifier.probabilities(bases: test.bases)
        let testMetrics = test.bases.isEmpty ? nil : classifier.evaluate(probabilities: testProbabilities, labels: test.labels)
        let roc = test.bases.isEmpty
            ? classifier.rocCurves(probabilities: validationProbabilities, labels: validation.labels, split: "validation")
            : classifier.rocCurves(probabilities: testProbabilities, labels: test.labels, split: "test")
        var metrics: [String: Double] = ["validationAccuracy": validationMetrics.accuracy]
        if let auc = validationMetrics.auc { metrics["validationAUC"] = auc }
        if let testMetrics {
            metrics["testAccuracy"] = testMetrics.accuracy
            if let auc = testMetrics.auc { metrics["testAUC"] = auc }
        }
        classifier.metrics = metrics
        let report = ImageTrainingReport(
            task: data.task, labels: labels, multiLabel: multiLabel, trainImages: train.bases.count,
            validationImages: validation.bases.count, testImages: test.bases.count, epochs: history,
            bestEpochs: bestEpochs, validation: validationMetrics, test: testMetrics,
            seconds: Date().timeIntervalSince(started), transferredTensors: transferred, frozenTensors: frozen,
            settings: options, roc: roc)
        return (classifier, report)
    }

    /// Trains one network with `Trainer.fit`: AdamW, one warm-up epoch then cosine decay to 1% of
    /// the rate, a trailing batch of one image skipped (BatchNorm), early stopping on the validation
    /// AUC (accuracy when AUC is undefined) scored as the classifier scores (flip averaging
    /// included), strictly better only; restores the best epoch's weights and returns the epoch
    /// records and the kept epoch.
    static func fit(_ probe: ImageClassifier, graph: Graph, source: ImageBatchSource, validation: Split, loss: Loss,
                    options: ImageTrainingOptions, seed: UInt64, stop: StopCondition = .never,
                    progress: (ImageTrainingEvent) -> Void) -> ([ImageEpochRecord], Int) {
        let stepsPerEpoch = (source.count + options.batchSize - 1) / options.batchSize
        let totalSteps = max(stepsPerEpoch * options.epochs, 1)
        let optimizer = Adam.adamW(learningRate: options.learningRate, weightDecay: options.weightDecay)
        let trainer = Trainer(model: graph, loss: loss, optimizer: optimizer,
                              options: .init(epochs: options.epochs, batchSize: options.batchSize, seed: seed &+ 3,
                                             patience: options.patience,
                                             schedule: .warmup(steps: stepsPerEpoch,
                                                               then: .cosine(total: max(totalSteps - stepsPerEpoch, 1),
                                                                             minimum: options.learningRate / 100)),
                                             minimumBatchSize: 2,
                                             monitor: .init("auc", better: .higher, otherwise: "accuracy")))
        trainer.shouldStop = stop.requested
        var records: [ImageEpochRecord] = []
        let history = trainer.fit(source, validation: .custom { _ in
            let metrics = probe.evaluate(bases: validation.bases, labels: validation.labels)
            var scores = ["accuracy": metrics.accuracy]
            if let auc = metrics.auc { scores["auc"] = auc }
            return scores
        }) { e in
            let record = ImageEpochRecord(epoch: e.epoch, loss: e.trainLoss, validationAUC: e.metrics["auc"],
                                          validationAccuracy: e.metrics["accuracy"] ?? 0, samplesPerSecond: e.samplesPerSecond)
            records.append(record)
            progress(.epoch(record, isBest: e.isBest, keptEpoch: e.bestEpoch, stopsEarly: e.stopsEarly))
        }
        return (records, history.last?.bestEpoch ?? 0)
    }
}

/// Mini-batches of images for the trainer: each training image is augmented afresh every time it is drawn.
/// Layout: inputs (B, H, W, C'), targets (B) class ids or (B, K) with a mask.
final class ImageBatchSource: Dataset {
    let bases: [ImageBuffer<Float>]
    let targets: Tensor
    let mask: Tensor?
    let preprocessing: ImagePreprocessing
    let augmentation: ImageAugmentation
    var rng: SplitMix64
    let inputs = Tensor(), batchTargets = Tensor(), batchMask = Tensor()

    init(bases: [ImageBuffer<Float>], targets: Tensor, mask: Tensor?, preprocessing: ImagePreprocessing,
         augmentation: ImageAugmentation, seed: UInt64) {
        self.bases = bases
        self.targets = targets
        self.mask = mask
        self.preprocessing = preprocessing
        self.augmentation = augmentation
        rng = SplitMix64(seed: seed)
    }

    var count: Int { bases.count }

    func batch(_ indices: [Int]) -> Batch {
        let p = preprocessing
        let per = p.width * p.height * p.inputChannels
        inputs.resize([indices.count, p.height, p.width, p.inputChannels])
        for (i, index) in indices.enumerated() {
            let image = augmentation.isIdentity ? bases[index] : augmentation.apply(bases[index], using: &rng)
            p.finish(image, into: inputs.pointer + i * per)
        }
        batchTargets.gatherRows(of: targets, indices)
        if let mask { batchMask.gatherRows(of: mask, indices) }
        return Batch(inputs: [inputs], targets: batchTargets, mask: mask == nil ? nil : batchMask)
    }
}
