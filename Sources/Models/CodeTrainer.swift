import Foundation
import Mining
import Neural
import Statistics

/// A clinical note and the ICD-10-CM codes it was coded with.
public struct CodedNote: Sendable, Equatable {
    public var id: String
    public var text: String
    public var codes: [String]

    /// A note.
    public init(id: String, text: String, codes: [String]) {
        self.id = id
        self.text = text
        self.codes = codes
    }
}

/// Trains a `CodeModel`: the evidence network on (note, matched code) pairs, then the text CNN
/// on the notes with the evidence as offsets, the epoch and threshold chosen on validation notes.
public struct CodeTrainer {
    /// Training settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// Most passes of the text network over the training notes.
        public var epochs = 40
        /// Epochs without a better validation MAP before stopping.
        public var patience = 6
        public var batchSize = 16
        public var learningRate: Float = 2e-3
        public var seed: UInt64 = 1
        /// Codes carried by fewer training notes are left to the lexicon (not network outputs).
        public var minimumNotes = 2
        /// Tokens read per note.
        public var maxTokens = 1024
        /// Embedding size, filters per width, widths and dropout of the word CNN.
        public var dimension = 64
        public var filters = 128
        public var kernelSizes = [1, 2, 3]
        public var dropout: Float = 0.4
        /// The defaults above.
        public init() {}
    }

    /// What one epoch of either network measured: the stage ("evidence", "text", "refit") and the engine's record.
    public struct EpochReport: Sendable {
        public var stage: String
        public var epoch: Trainer.Epoch
        public var epochs: Int
    }

    public var settings: Settings

    /// A trainer.
    public init(settings: Settings = Settings()) { self.settings = settings }

    /// Ranked codes of the dictionary alone: every matched code, by number of matches then term
    /// length; all of them selected. The baseline a model must beat.
    public static func dictionaryRanking(_ matches: [ConditionMatch]) -> [String] {
        var count: [String: Int] = [:], words: [String: Int] = [:]
        for m in matches { count[m.code, default: 0] += 1; words[m.code] = max(words[m.code] ?? 0, m.words) }
        return count.keys.sorted { a, b in
            (count[a]!, words[a]!, b) > (count[b]!, words[b]!, a)
        }
    }

    /// MAP and micro precision / recall / F1 of rankings against the notes' codes: selected are the
    /// codes scoring at least `threshold` (nil: every ranked code).
    public static func evaluate(_ ranked: [[(code: String, score: Double)]], truth: [Set<String>], threshold: Double?) -> [String: Double] {
        let map = Metrics.meanAveragePrecision(ranked: ranked.map { $0.map(\.code) }, relevant: truth)
        let selected = ranked.map { Set($0.filter { threshold == nil || $0.score >= threshold! }.map(\.code)) }
        let prf = Metrics.microPRF(predicted: selected, relevant: truth)
        return ["map": map, "microPrecision": prf.precision, "microRecall": prf.recall, "microF1": prf.f1]
    }

    /// The threshold with the best micro-F1 on these rankings (ties: the higher threshold).
    public static func bestThreshold(_ ranked: [[(code: String, score: Double)]], truth: [Set<String>]) -> Double {
        var pairs: [(score: Double, hit: Bool)] = []
        for (row, gold) in zip(ranked, truth) { for r in row { pairs.append((r.score, gold.contains(r.code))) } }
        pairs.sort { $0.score > $1.score }
        let relevant = truth.reduce(0) { $0 + $1.count }
        var tp = 0, best = (f1: -1.0, threshold: 0.5), i = 0
        while i < pairs.count {
            var j = i
            while j < pairs.count && pairs[j].score == pairs[i].score { if pairs[j].hit { tp += 1 }; j += 1 }
            let f1 = 2 * Double(tp) / Double(j + relevant)
            if f1 > best.f1 { best = (f1, pairs[i].score) }
            i = j
        }
        return best.threshold
    }

    /// Trains on `train`, choosing the text network's epoch (by MAP) and the threshold (by
    /// micro-F1) on `validation`; without a lexicon the text network alone (offsets constant).
    public func train(_ train: [CodedNote], validation: [CodedNote], lexicon: ConditionLexicon?,
                      stop: StopCondition = .never, onEpoch: (EpochReport) -> Void = { _ in }) throws -> CodeModel {
        guard !train.isEmpty, !validation.isEmpty else { throw TextModelError("training needs training notes and validation notes") }
        let s = settings
        var prepSettings = TextPreparation.Settings()
        prepSettings.ngramSizes = []
        prepSettings.maxTokens = s.maxTokens
        let preparation = TextPreparation(fitting: train.map(\.text), settings: prepSettings)
        let trainNotes = train.map { CodeModel.prepare($0.text, preparation: preparation, lexicon: lexicon) }
        let validationNotes = validation.map { CodeModel.prepare($0.text, preparation: preparation, lexicon: lexicon) }
        let trainTruth = train.map { Set($0.codes) }, validationTruth = validation.map { Set($0.codes) }

        // Per-code counts over the training notes.
        var statistics: [String: CodeStatistics] = [:]
        for (note, gold) in zip(trainNotes, trainTruth) {
            for code in gold { statistics[code, default: CodeStatistics()].notes += 1 }
            for code in note.byCode.keys {
                statistics[code, default: CodeStatistics()].matched += 1
                if gold.contains(code) { statistics[code]!.matchedCoded += 1 }
            }
        }
        let codes = statistics.filter { $0.value.notes >= s.minimumNotes }.keys.sorted()
        guard codes.count >= 2 else {
            throw TextModelError("only \(codes.count) codes are carried by at least \(s.minimumNotes) training notes; the network needs 2")
        }
        let codeSet = Set(codes)

        // The evidence network, on (note, matched code) pairs; training pairs leave their note out of the counts.
        var evidence: Layer?
        if let lexicon {
            func pairs(_ notes: [CodeModel.Note], _ truth: [Set<String>], leaveOut: Bool) -> (Tensor, Tensor) {
                var rows: [[Float]] = [], targets: [Float] = []
                for (note, gold) in zip(notes, truth) {
                    for code in note.byCode.keys.sorted() {
                        rows.append(CodeModel.features(code: code, note: note, statistics: statistics[code],
                                                       billable: lexicon.source(of: code)?.billable ?? true,
                                                       leavingOut: leaveOut ? gold.contains(code) : nil))
                        targets.append(gold.contains(code) ? 1 : 0)
                    }
                }
                return (rows.isEmpty ? Tensor(shape: [0, CodeModel.featureCount]) : Tensor.matrix(rows),
                        Tensor(shape: [targets.count, 1], values: targets))
            }
            let (x, y) = pairs(trainNotes, trainTruth, leaveOut: true)
            let (vx, vy) = pairs(validationNotes, validationTruth, leaveOut: false)
            if x.rows > 0 && vx.rows > 0 {
                let net = Sequential([Dense(inputSize: CodeModel.featureCount, outputSize: 16, seed: s.seed),
                                      Activation(.relu), Dense(inputSize: 16, outputSize: 1, seed: s.seed &+ 1)])
                let trainer = Trainer(model: net, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: 1e-2),
                                      options: .init(epochs: 60, batchSize: 128, seed: s.seed, patience: 6, monitor: .loss))
                trainer.shouldStop = stop.requested
                trainer.fit(TensorDataset(x, targets: y), validation: .loss(TensorDataset(vx, targets: vy))) { epoch in
                    onEpoch(EpochReport(stage: "evidence", epoch: epoch, epochs: 60))
                }
                if trainer.stopped { throw TrainingStopped() }
                evidence = net
            }
        }

        // The offset of an unmatched code: the share of (note, learned code) pairs the lexicon missed that were coded.
        var missed = 0.0, missedCoded = 0.0
        for (note, gold) in zip(trainNotes, trainTruth) {
            let matchedLearned = note.byCode.keys.filter(codeSet.contains).count
            missed += Double(codes.count - matchedLearned)
            missedCoded += Double(gold.filter { codeSet.contains($0) && note.byCode[$0] == nil }.count)
        }
        let rate = min(max((missedCoded + 1) / (missed + 2), 1e-6), 0.5)
        let unmatched = Float(log(rate / (1 - rate)))

        func makeModel(network: Graph) -> CodeModel {
            CodeModel(preparation: preparation, codes: codes, network: network, evidence: evidence, lexicon: lexicon,
                      statistics: statistics, trainingNotes: train.count, unmatchedOffset: unmatched, threshold: 0.5)
        }
        let network = try makeNetwork(preparation: preparation, codes: codes.count, seed: s.seed)
        let model = makeModel(network: network)
        let trainData = model.dataset(trainNotes, offsets: model.offsets(model.evidenceLogits(trainNotes, coded: trainTruth)),
                                      targets: targets(trainTruth, codes: model.codeIndex))
        let validationE = model.evidenceLogits(validationNotes)
        let validationData = model.dataset(validationNotes, offsets: model.offsets(validationE))
        func validationRanking() -> [[(code: String, score: Double)]] {
            model.rank(validationNotes, e: validationE, logits: Neural.predict(network, validationData, batchSize: 64))
        }
        let trainer = Trainer(model: network, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: s.learningRate),
                              options: .init(epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, patience: s.patience, clipNorm: 5,
                                             monitor: .init("map", better: .higher)))
        trainer.shouldStop = stop.requested
        let before = CodeTrainer.evaluate(validationRanking(), truth: validationTruth, threshold: nil)["map"] ?? 0
        let history = trainer.fit(trainData, validation: .custom { _ in
            CodeTrainer.evaluate(validationRanking(), truth: validationTruth, threshold: nil)
        }) { epoch in onEpoch(EpochReport(stage: "text", epoch: epoch, epochs: s.epochs)) }
        if trainer.stopped { throw TrainingStopped() }
        let bestEpoch = history.last?.bestEpoch ?? 0

        let ranked = validationRanking()
        model.threshold = CodeTrainer.bestThreshold(ranked, truth: validationTruth)
        var metrics: [String: Double] = [:]
        for (k, v) in CodeTrainer.evaluate(ranked, truth: validationTruth, threshold: model.threshold) { metrics["validation" + k.prefix(1).uppercased() + k.dropFirst()] = v }
        metrics["validationMAPBeforeText"] = before
        if lexicon != nil {
            let dictionary = validationNotes.map { CodeTrainer.dictionaryRanking($0.matches).map { (code: $0, score: 1.0) } }
            for (k, v) in CodeTrainer.evaluate(dictionary, truth: validationTruth, threshold: nil) { metrics["dictionary" + k.prefix(1).uppercased() + k.dropFirst()] = v }
        }
        metrics["threshold"] = model.threshold
        metrics["bestEpoch"] = Double(bestEpoch)
        metrics["trainingNotes"] = Double(train.count)
        metrics["validationNotes"] = Double(validation.count)
        metrics["networkCodes"] = Double(codes.count)
        metrics["unseenValidationCodes"] = Double(validationTruth.reduce(0) { $0 + $1.filter { statistics[$0] == nil || statistics[$0]!.notes == 0 }.count })
        model.metrics = metrics
        model.settings = ["epochs": "\(s.epochs)", "bestEpoch": "\(bestEpoch)", "batchSize": "\(s.batchSize)",
                          "learningRate": "\(s.learningRate)", "seed": "\(s.seed)", "minimumNotes": "\(s.minimumNotes)",
                          "maxTokens": "\(s.maxTokens)", "lexicon": lexicon == nil ? "none" : "\(lexicon!.sources.count) codes, \(lexicon!.termCount) terms"]
        return model
    }

    /// The word CNN with K outputs, its logits added to the offsets: ids (N, T), offsets (N, K) -> logits (N, K).
    func makeNetwork(preparation: TextPreparation, codes: Int, seed: UInt64) throws -> Graph {
        var configuration = TextNetworkConfiguration(architecture: .cnn, idCount: preparation.idCount,
                                                     idsPerPosition: preparation.idsPerPosition, classes: codes)
        configuration.dimension = settings.dimension
        configuration.filters = settings.filters
        configuration.kernelSizes = settings.kernelSizes
        configuration.dropout = settings.dropout
        let text = try TextNetwork(configuration, seed: seed)
        // Start near the lexicon's ranking: the classifier's logits begin small.
        for (name, parameter) in text.namedParameters where name.hasPrefix("body.classifier.") {
            for i in 0..<parameter.value.count { parameter.value.pointer[i] *= 0.1 }
        }
        let graph = Graph()
        let ids = graph.input("ids"), offsets = graph.input("offsets")
        let logits = graph.add(text.model, ids, name: "text")
        graph.output(graph.sum([logits, offsets], name: "logits"))
        return graph
    }

    func targets(_ truth: [Set<String>], codes index: [String: Int]) -> Tensor {
        let k = index.count
        let t = Tensor(shape: [truth.count, k], repeating: 0)
        for (n, gold) in truth.enumerated() { for code in gold { if let c = index[code] { t.pointer[n * k + c] = 1 } } }
        return t
    }
}
