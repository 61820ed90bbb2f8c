import Corpus
import Foundation
import Neural
import Statistics

/// Trains a `TextClassifier` on labelled texts: validation split, mini-batches, Adam, early stopping.
public struct TextTrainer {
    /// Training settings (what `triage train text` exposes).
    public struct Settings: Codable, Sendable {
        /// The network family.
        public var architecture: TextArchitecture = .cnn
        /// At most this many passes over the training texts.
        public var epochs = 30
        /// Share of texts held out (stratified) to measure validation accuracy and stop early; 0 = none.
        public var validationFraction = 0.1
        /// Seed of the split, the weights, the batches and dropout.
        public var seed: UInt64 = 1
        /// Texts per step.
        public var batchSize = 16
        /// Adam's step size.
        public var learningRate: Float = 2e-3
        /// Stop after this many epochs without a better validation loss.
        public var patience = 4
        /// Ensemble members (each trained with its own seed; probabilities averaged).
        public var members = 3
        /// Share of word ids hidden during training (the word's n-grams stay): teaches the
        /// n-gram fallback to carry unseen and misspelt words.
        public var wordDropout: Float = 0.1
        /// Label smoothing of the cross-entropy.
        public var labelSmoothing: Float = 0.05
        /// Text preparation sizes.
        public var preparation = TextPreparation.Settings()
        /// Network sizes (the architecture, vocabulary and classes are filled in by the trainer).
        public var dimension = 64
        /// LSTM hidden size.
        public var hiddenSize = 64
        /// Filters per convolution width.
        public var filters = 96
        /// Convolution widths.
        public var kernelSizes = [1, 2, 3]
        /// Dropout before the classifier.
        public var dropout: Float = 0.4
        /// The defaults above.
        public init() {}
    }

    /// One line of progress: after each epoch of each member.
    public struct EpochReport: Sendable {
        /// 1-based member.
        public var member: Int
        /// 1-based epoch.
        public var epoch: Int
        /// Mean training loss of the epoch.
        public var loss: Double
        /// Validation loss and accuracy (nil without a validation split).
        public var validationLoss: Double?
        /// Validation accuracy.
        public var validationAccuracy: Double?
        /// Training texts per second in this epoch.
        public var samplesPerSecond: Double
        /// Seconds since training began.
        public var elapsed: Double
        /// True when this epoch is the best so far (its weights are kept).
        public var best: Bool
    }

    /// What training produced.
    public struct Result {
        /// The trained classifier.
        public var classifier: TextClassifier
        /// Metrics: training/validation sizes, validation accuracy and loss of the kept weights, seconds.
        public var metrics: [String: Double]
        /// The held-out predictions behind the validation metrics (calibrated class probabilities, in
        /// class order) and the true class of each: what a ROC curve of the model is drawn from.
        public var heldOut: (probabilities: [[Float]], truth: [Int]) = ([], [])
    }

    /// The settings.
    public var settings: Settings

    /// A trainer with settings.
    public init(settings: Settings) { self.settings = settings }

    /// Splits indices of `labels` into training and validation, stratified per class; every class keeps at least one training text.
    public static func split(labels: [Int], fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(labels.indices), []) }
        var rng = SplitMix64(seed: seed ^ 0x5EED_5EED)
        var byClass: [Int: [Int]] = [:]
        for (i, y) in labels.enumerated() { byClass[y, default: []].append(i) }
        var train: [Int] = [], validation: [Int] = []
        for y in byClass.keys.sorted() {
            var members = byClass[y] ?? []
            members.shuffle(using: &rng)
            let held = members.count >= 2 ? min(members.count - 1, Int((Double(members.count) * fraction).rounded())) : 0
            validation += members.prefix(held)
            train += members.dropFirst(held)
        }
        return (train.sorted(), validation.sorted())
    }

    /// Trains on `examples`; `progress` is called after every epoch; `stop`, asked after every
    /// step, ends training with `TrainingStopped`.
    public func train(_ examples: [LabelledText], task: String, labelSource: String, stop: StopCondition = .never,
                      progress: (EpochReport) -> Void = { _ in }) throws -> Result {
        let s = settings
        guard s.epochs >= 1, s.batchSize >= 1, s.members >= 1 else {
            throw TextModelError("epochs, batch size and members must be at least 1")
        }
        guard s.validationFraction >= 0 && s.validationFraction < 1 else {
            throw TextModelError("the validation fraction must be in [0, 1), e.g. 0.1")
        }
        let classes = Array(Set(examples.map(\.label))).sorted()
        guard classes.count >= 2 else {
            throw TextModelError("training needs at least 2 classes; the labels have \(classes.count)"
                                 + (classes.first.map { " ('\($0)')" } ?? ""))
        }
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let labels = examples.map { classIndex[$0.label] ?? 0 }
        // Each member holds out its own stratified split (bagging): together the members see
        // every text, and each text is validated only by members that never trained on it.
        let splits = (0..<s.members).map { m in
            TextTrainer.split(labels: labels, fraction: s.validationFraction, seed: s.seed &+ UInt64(m) &* 0x51_7CC1)
        }
        guard splits.allSatisfy({ !$0.train.isEmpty }) else { throw TextModelError("no texts left to train on after the validation split") }
        // The vocabulary comes from texts some member trains on; a member's validation texts see
        // only the words of its own training texts (others read as unknown, as at scoring time).
        let trainedOn = Set(splits.flatMap(\.train))
        let preparation = TextPreparation(fitting: trainedOn.sorted().map { examples[$0].text }, settings: s.preparation)
        let encoded = examples.map { preparation.encode($0.text) }
        var config = TextNetworkConfiguration(architecture: s.architecture, idCount: preparation.idCount,
                                              idsPerPosition: preparation.idsPerPosition, classes: classes.count)
        config.dimension = s.dimension
        config.hiddenSize = s.hiddenSize
        config.filters = s.filters
        config.kernelSizes = s.kernelSizes
        config.dropout = s.dropout

        let start = Date()
        var networks: [TextNetwork] = []
        var bestEpochs: [Double] = []
        let k = classes.count
        var heldOutSum = [[Float]](repeating: [Float](repeating: 0, count: k), count: examples.count)
        var heldOutVotes = [Int](repeating: 0, count: examples.count)
        // The scope's out-of-fold views: each validation text as its own member sees it.
        var familiaritySum = [Double](repeating: 0, count: examples.count)
        var confidenceSum = [Double](repeating: 0, count: examples.count)
        var neighbourhoodSum = [Double](repeating: 0, count: examples.count)
        var banks: [Tensor] = []
        for (member, split) in splits.enumerated() {
            let seed = s.seed &+ UInt64(member) &* 0x9E37_79B9
            let network = try TextNetwork(config, seed: seed)
            let validation = TextTrainer.restrictWords(of: split.validation.map { encoded[$0] },
                                                       to: split.train.map { encoded[$0] },
                                                       idsPerPosition: preparation.idsPerPosition)
            let training = TextDataset(texts: split.train.map { encoded[$0] }, labels: split.train.map { labels[$0] },
                                       idsPerPosition: preparation.idsPerPosition, wordDropout: s.wordDropout,
                                       seed: seed ^ 0xD20_9D20)
            // Validation batches of similar lengths pad less; the order does not change the metrics.
            let byLength = validation.indices.sorted { validation[$0].tokens.count < validation[$1].tokens.count }
            let validating = split.validation.isEmpty ? nil
                : TextDataset(texts: byLength.map { validation[$0] }, labels: byLength.map { labels[split.validation[$0]] },
                              idsPerPosition: preparation.idsPerPosition)
            let bestEpoch = fit(network, train: training, validation: validating, seed: seed, member: member + 1,
                                start: start, stop: stop, progress: progress)
            if stop.requested() { throw TrainingStopped() }
            networks.append(network)
            bestEpochs.append(Double(bestEpoch))
            // The member alone: its held-out predictions, and its bank for the scope (the features of
            // a seeded sample of its training texts) with its validation texts' distance to it.
            let single = TextClassifier(configuration: TextClassifier.Configuration(
                task: task, labelSource: labelSource, classes: classes, preparation: preparation, network: config,
                members: 1, metrics: [:], createdAt: ""), networks: [network])
            var sample = split.train
            if sample.count > TextScope.bankLimit {
                var rng = SplitMix64(seed: seed ^ 0xBA4C)
                rng.shuffle(&sample)
                sample = Array(sample.prefix(TextScope.bankLimit)).sorted()
            }
            let bank = single.unitFeatures(member: 0, encoded: sample.map { encoded[$0] })
            banks.append(bank)
            if !split.validation.isEmpty {
                for (row, p) in zip(split.validation, single.probabilities(encoded: validation)) {
                    for c in 0..<k { heldOutSum[row][c] += p[c] }
                    heldOutVotes[row] += 1
                    confidenceSum[row] += Double(p.max() ?? 0)
                }
                let nearest = TextClassifier.nearest(units: single.unitFeatures(member: 0, encoded: validation), bank: bank)
                for (i, row) in split.validation.enumerated() {
                    neighbourhoodSum[row] += nearest[i]
                    familiaritySum[row] += validation[i].familiarity(idsPerPosition: preparation.idsPerPosition)
                }
            }
        }
        let configuration = TextClassifier.Configuration(
            task: task, labelSource: labelSource, classes: classes, preparation: preparation, network: config,
            members: s.members, metrics: [:], createdAt: ISO8601DateFormatter().string(from: Date()))
        let classifier = TextClassifier(configuration: configuration, networks: networks)
        let validated = heldOutVotes.indices.filter { heldOutVotes[$0] > 0 }
        var metrics: [String: Double] = [
            "texts": Double(examples.count),
            "trainingTextsPerMember": Double(splits[0].train.count),
            "validationTexts": Double(validated.count),
            "classes": Double(k),
            "vocabulary": Double(preparation.vocabulary.count),
            "seconds": Date().timeIntervalSince(start),
            "epochs": bestEpochs.reduce(0, +) / Double(bestEpochs.count),
        ]
        var heldOut: (probabilities: [[Float]], truth: [Int]) = ([], [])
        if !validated.isEmpty {
            // Held-out accuracy: each text scored by the mean of the members that did not train on it.
            var probabilities = validated.map { i in heldOutSum[i].map { $0 / Float(heldOutVotes[i]) } }
            // Calibrate on the held-out predictions: the power that minimises their log-loss.
            let truth = validated.map { labels[$0] }
            func logLoss(_ power: Double) -> Double {
                zip(probabilities, truth).reduce(0.0) { sum, pair in
                    sum - log(max(Double(TextClassifier.sharpen(pair.0, power: Float(power))[pair.1]), 1e-12))
                }
            }
            let candidates = (5...50).map { Double($0) / 10 }
            let power = candidates.min { logLoss($0) < logLoss($1) } ?? 1
            classifier.setCalibrationPower(power)
            probabilities = probabilities.map { TextClassifier.sharpen($0, power: Float(power)) }
            metrics["calibrationPower"] = power
            let report = ClassificationReport(classes: classes, probabilities: probabilities, truth: validated.map { labels[$0] })
            metrics["validationAccuracy"] = report.accuracy
            metrics["validationMacroF1"] = report.macroF1
            metrics["validationLoss"] = report.logLoss
            metrics["validationCalibrationError"] = report.calibrationError
            heldOut = (probabilities, truth)
            let views = validated.map { i in
                TextScope.Views(familiarity: familiaritySum[i] / Double(heldOutVotes[i]), confidence: confidenceSum[i] / Double(heldOutVotes[i]),
                                neighbourhood: neighbourhoodSum[i] / Double(heldOutVotes[i]))
            }
            if let scope = TextScope(validation: views, bankSize: banks.map { $0.shape.first ?? 0 }.max() ?? 0) {
                classifier.setScope(scope, banks: banks)
                metrics["scopeThreshold"] = scope.threshold
                metrics["scopeValidationFlagged"] = scope.validationFlagged
            }
        }
        classifier.setMetrics(metrics)
        return Result(classifier: classifier, metrics: metrics, heldOut: heldOut)
    }

    /// Validation texts as a member sees them: word ids it never trained on become unknown (n-grams stay).
    static func restrictWords(of texts: [TextPreparation.Encoded], to training: [TextPreparation.Encoded],
                              idsPerPosition s: Int) -> [TextPreparation.Encoded] {
        var seen = Set<Int32>()
        for t in training { for p in 0..<t.tokens.count { seen.insert(t.ids[p * s]) } }
        return texts.map { t in
            var t = t
            for p in 0..<t.tokens.count where !seen.contains(t.ids[p * s]) { t.ids[p * s] = TextPreparation.unknownId }
            return t
        }
    }

    /// Trains one network with `Trainer.fit`: Adam, the global gradient norm clipped at 5, early
    /// stopping on the unsmoothed validation cross-entropy (better by more than 1e-4); keeps the
    /// best epoch's weights and returns its number (the last epoch without a validation).
    private func fit(_ network: TextNetwork, train: TextDataset, validation: TextDataset?, seed: UInt64, member: Int,
                     start: Date, stop: StopCondition, progress: (EpochReport) -> Void) -> Int {
        let s = settings
        let trainer = Trainer(model: network.model, loss: SoftmaxCrossEntropy(labelSmoothing: s.labelSmoothing),
                              optimizer: Adam(learningRate: s.learningRate),
                              options: .init(epochs: s.epochs, batchSize: s.batchSize, seed: seed ^ 0xBA7C_4E5,
                                             patience: s.patience, clipNorm: 5,
                                             monitor: .init("loss", better: .lower, minimumDelta: 1e-4),
                                             validationBatchSize: 256))
        trainer.shouldStop = stop.requested
        let history = trainer.fit(train, validation: validation.map { .scores($0, loss: SoftmaxCrossEntropy()) }) { e in
            progress(EpochReport(member: member, epoch: e.epoch, loss: e.trainLoss,
                                 validationLoss: e.metrics["loss"], validationAccuracy: e.metrics["accuracy"],
                                 samplesPerSecond: e.samplesPerSecond, elapsed: Date().timeIntervalSince(start), best: e.isBest))
        }
        return history.last?.bestEpoch ?? 0
    }
}

/// Encoded texts and their class ids as mini-batches for `Trainer`: ids (B, T*S) packed to the
/// batch's longest text (`TextClassifier.pack`), targets (B) class ids.
///
/// With word dropout, every time a text is drawn each of its word ids is hidden (set to padding;
/// its n-grams stay) with that probability, drawn from the dataset's own seeded generator: the
/// n-gram fallback learns to carry unseen and misspelt words.
final class TextDataset: Dataset {
    let texts: [TextPreparation.Encoded]
    let labels: [Int]
    let idsPerPosition: Int
    let wordDropout: Float
    private var rng: SplitMix64
    private let ids = Tensor(), targets = Tensor()

    init(texts: [TextPreparation.Encoded], labels: [Int], idsPerPosition: Int, wordDropout: Float = 0, seed: UInt64 = 0) {
        precondition(texts.count == labels.count, "TextDataset: \(texts.count) texts for \(labels.count) labels.")
        self.texts = texts
        self.labels = labels
        self.idsPerPosition = idsPerPosition
        self.wordDropout = wordDropout
        rng = SplitMix64(seed: seed)
    }

    var count: Int { texts.count }

    func batch(_ indices: [Int]) -> Batch {
        var chosen = indices.map { texts[$0] }
        if wordDropout > 0 {
            for b in chosen.indices {
                for t in 0..<chosen[b].tokens.count where Float(rng.nextUniform()) < wordDropout {
                    chosen[b].ids[t * idsPerPosition] = TextPreparation.paddingId
                }
            }
        }
        TextClassifier.pack(chosen, idsPerPosition: idsPerPosition, into: ids)
        targets.resize([indices.count])
        for (b, index) in indices.enumerated() { targets.pointer[b] = Float(labels[index]) }
        return Batch(inputs: [ids], targets: targets)
    }
}

extension TextTrainer.Result {
    /// The ROC curve of the held-out predictions: the second class of a binary task; for more
    /// classes the micro-average over every class one-vs-rest (each text counted once per class).
    public var rocCurves: [ModelCurves.ROC] {
        let classes = classifier.classes
        guard classes.count >= 2, !heldOut.truth.isEmpty else { return [] }
        let columns = classes.count == 2 ? [1] : Array(classes.indices)
        var scores: [Double] = [], positives: [Bool] = []
        for (p, truth) in zip(heldOut.probabilities, heldOut.truth) {
            for c in columns where c < p.count {
                scores.append(Double(p[c]))
                positives.append(truth == c)
            }
        }
        guard let auc = Metrics.rocAUC(scores: scores, labels: positives) else { return [] }
        let name = classes.count == 2 ? classes[1] : "all \(classes.count) classes (micro-average)"
        return [ModelCurves.ROC(name: name, split: "validation (held out by each member)", auc: auc,
                                points: Metrics.rocCurve(scores: scores, labels: positives))]
    }
}
