import Foundation
import Neural

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

    /// Trains on `examples`; `progress` is called after every epoch.
    public func train(_ examples: [LabelledText], task: String, labelSource: String,
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
        for (member, split) in splits.enumerated() {
            let seed = s.seed &+ UInt64(member) &* 0x9E37_79B9
            let network = try TextNetwork(config, seed: seed)
            let validation = TextTrainer.restrictWords(of: split.validation.map { encoded[$0] },
                                                       to: split.train.map { encoded[$0] },
                                                       idsPerPosition: preparation.idsPerPosition)
            let outcome = fit(network, encoded: encoded, labels: labels, train: split.train,
                              validation: split.validation, validationTexts: validation,
                              seed: seed, member: member + 1, start: start, progress: progress)
            networks.append(network)
            bestEpochs.append(Double(outcome.epoch))
            if !split.validation.isEmpty {
                let single = TextClassifier(configuration: TextClassifier.Configuration(
                    task: task, labelSource: labelSource, classes: classes, preparation: preparation, network: config,
                    members: 1, metrics: [:], createdAt: ""), networks: [network])
                for (row, p) in zip(split.validation, single.probabilities(encoded: validation)) {
                    for c in 0..<k { heldOutSum[row][c] += p[c] }
                    heldOutVotes[row] += 1
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
        }
        classifier.setMetrics(metrics)
        return Result(classifier: classifier, metrics: metrics)
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

    /// Trains one network; keeps the weights of the epoch with the lowest validation loss.
    private func fit(_ network: TextNetwork, encoded: [TextPreparation.Encoded], labels: [Int],
                     train: [Int], validation: [Int], validationTexts: [TextPreparation.Encoded],
                     seed: UInt64, member: Int, start: Date,
                     progress: (EpochReport) -> Void) -> (loss: Double, accuracy: Double, epoch: Int) {
        let s = settings
        let optimizer = Adam(learningRate: s.learningRate)
        let loss = SoftmaxCrossEntropy(labelSmoothing: s.labelSmoothing)
        let parameters = network.parameters
        let bodyParameters = network.body.parameters
        var step = 0
        var rng = SplitMix64(seed: seed ^ 0xBA7C_4E5)
        let perPosition = network.configuration.idsPerPosition
        var best: (loss: Double, accuracy: Double, epoch: Int) = (.infinity, 0, 0)
        var bestWeights: [[Float]] = []
        var sinceBest = 0
        var order = train
        let targets = Tensor()
        for epoch in 1...s.epochs {
            let epochStart = Date()
            order.shuffle(using: &rng)
            var total = 0.0, seen = 0
            var i = 0
            while i < order.count {
                let batch = Array(order[i..<min(order.count, i + s.batchSize)])
                i += batch.count
                var texts = batch.map { encoded[$0] }
                if s.wordDropout > 0 {
                    for b in texts.indices {
                        for t in 0..<texts[b].tokens.count where Float(rng.nextUniform()) < s.wordDropout {
                            texts[b].ids[t * perPosition] = TextPreparation.paddingId
                        }
                    }
                }
                let (ids, steps, lengths) = TextClassifier.pack(texts, idsPerPosition: perPosition)
                targets.resize([batch.count])
                for (b, index) in batch.enumerated() { targets.pointer[b] = Float(labels[index]) }
                network.body.zeroGradients()
                network.embedding.zeroGradient()
                let logits = network.logits(ids: ids, batch: batch.count, steps: steps, lengths: lengths, training: true)
                total += Double(loss.compute(logits: logits, targets: targets, mask: nil)) * Double(batch.count)
                seen += batch.count
                network.backward(loss.gradient)
                // Clip the global gradient norm at 5; the embedding's norm counts only its touched rows.
                var squared = network.embedding.gradientSquaredNorm()
                for p in bodyParameters { for i in 0..<p.gradient.count { let g = Double(p.gradient.pointer[i]); squared += g * g } }
                let norm = squared.squareRoot()
                let scale: Float = norm > 5 ? Float(5 / norm) : 1
                if scale < 1 { for p in bodyParameters { for i in 0..<p.gradient.count { p.gradient.pointer[i] *= scale } } }
                step += 1
                optimizer.step(bodyParameters)
                network.embedding.adamStep(learningRate: s.learningRate, step: step, scale: scale)
            }
            let seconds = max(Date().timeIntervalSince(epochStart), 1e-9)
            var report = EpochReport(member: member, epoch: epoch, loss: total / Double(max(seen, 1)),
                                     validationLoss: nil, validationAccuracy: nil,
                                     samplesPerSecond: Double(seen) / seconds,
                                     elapsed: Date().timeIntervalSince(start), best: false)
            if validation.isEmpty {
                best = (report.loss, 0, epoch)
                report.best = true
                progress(report)
                continue
            }
            let (vLoss, vAccuracy) = evaluate(network, texts: validationTexts, labels: validation.map { labels[$0] })
            report.validationLoss = vLoss
            report.validationAccuracy = vAccuracy
            report.elapsed = Date().timeIntervalSince(start)
            if vLoss < best.loss - 1e-4 {
                best = (vLoss, vAccuracy, epoch)
                bestWeights = parameters.map(\.value.array)
                sinceBest = 0
                report.best = true
            } else {
                sinceBest += 1
            }
            progress(report)
            if sinceBest >= s.patience { break }
        }
        if !bestWeights.isEmpty {
            for (p, w) in zip(parameters, bestWeights) {
                w.withUnsafeBufferPointer { src in
                    if let base = src.baseAddress { p.value.pointer.update(from: base, count: min(w.count, p.value.count)) }
                }
            }
        }
        return best
    }

    /// Mean cross-entropy (no smoothing) and accuracy of one network on some texts.
    private func evaluate(_ network: TextNetwork, texts: [TextPreparation.Encoded], labels: [Int]) -> (loss: Double, accuracy: Double) {
        let probs = Tensor()
        var total = 0.0, correct = 0
        var i = 0
        let k = network.configuration.classes
        let sorted = texts.indices.sorted { texts[$0].tokens.count < texts[$1].tokens.count }
        while i < sorted.count {
            let batch = Array(sorted[i..<min(sorted.count, i + 256)])
            i += batch.count
            let (ids, steps, lengths) = TextClassifier.pack(batch.map { texts[$0] }, idsPerPosition: network.configuration.idsPerPosition)
            let logits = network.logits(ids: ids, batch: batch.count, steps: steps, lengths: lengths, training: false)
            softmax(logits, into: probs)
            for (b, index) in batch.enumerated() {
                let row = probs.pointer + b * k
                var arg = 0
                for c in 1..<k where row[c] > row[arg] { arg = c }
                if arg == labels[index] { correct += 1 }
                total -= log(max(Double(row[labels[index]]), 1e-12))
            }
        }
        return (total / Double(max(texts.count, 1)), Double(correct) / Double(max(texts.count, 1)))
    }
}
