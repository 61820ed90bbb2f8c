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
        /// Nearest training notes whose codes vote for a note's candidates.
        public var neighbours = 20
        /// Whether the final model is trained again on training and validation notes with the chosen epochs.
        public var refit = true
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

    /// Trains on `train`, choosing the evidence network's and the text network's epochs (by
    /// validation loss and MAP) and the threshold (by micro-F1) on `validation`; with
    /// `settings.refit` the returned model is then trained again on both with those choices (its
    /// metrics stay those of the first fit, measured on `validation`). Without a lexicon the
    /// candidates are the neighbours' codes alone.
    public func train(_ train: [CodedNote], validation: [CodedNote], lexicon: ConditionLexicon?,
                      stop: StopCondition = .never, onEpoch: (EpochReport) -> Void = { _ in }) throws -> CodeModel {
        guard !train.isEmpty, !validation.isEmpty else { throw TextModelError("training needs training notes and validation notes") }
        let chosen = try fit(train, validation: validation, lexicon: lexicon, stop: stop, onEpoch: onEpoch)
        guard settings.refit else { return chosen.model }
        let final = try fit(train + validation, validation: nil, epochs: (chosen.evidenceEpochs, chosen.textEpochs),
                            lexicon: lexicon, stop: stop) { report in
            if report.stage == "text" { onEpoch(EpochReport(stage: "refit", epoch: report.epoch, epochs: report.epochs)) }
        }
        final.model.threshold = chosen.model.threshold
        final.model.metrics = chosen.model.metrics
        final.model.metrics["refitNotes"] = Double(train.count + validation.count)
        final.model.settings = chosen.model.settings
        final.model.settings["refit"] = "on \(train.count + validation.count) notes: \(chosen.evidenceEpochs) evidence epochs, \(chosen.textEpochs) text epochs"
        return final.model
    }

    /// One fit: on `train`, choosing on `validation`, or (validation nil) for the given epochs.
    func fit(_ train: [CodedNote], validation: [CodedNote]?, epochs fixed: (evidence: Int, text: Int)? = nil,
             lexicon: ConditionLexicon?, stop: StopCondition,
             onEpoch: (EpochReport) -> Void) throws -> (model: CodeModel, evidenceEpochs: Int, textEpochs: Int) {
        let s = settings
        var prepSettings = TextPreparation.Settings()
        prepSettings.ngramSizes = []
        prepSettings.maxTokens = s.maxTokens
        let preparation = TextPreparation(fitting: train.map(\.text), settings: prepSettings)
        let trainNotes = train.map { CodeModel.prepare($0.text, preparation: preparation, lexicon: lexicon) }
        let validationNotes = (validation ?? []).map { CodeModel.prepare($0.text, preparation: preparation, lexicon: lexicon) }
        let trainTruth = train.map { Set($0.codes) }, validationTruth = (validation ?? []).map { Set($0.codes) }

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
        let neighbours = CodeNeighbours(entries: zip(trainNotes, train).map { CodeNeighbours.Entry(words: $0.words, codes: $1.codes) },
                                        k: s.neighbours)
        // A training note is not its own neighbour and leaves itself out of every count, as a new note would be.
        let siblings = CodeModel.siblings(statistics)
        let trainContexts = CodeModel.contexts(trainNotes, neighbours: neighbours, siblings: siblings,
                                               excluding: Array(trainNotes.indices), coded: trainTruth)
        let validationContexts = CodeModel.contexts(validationNotes, neighbours: neighbours, siblings: siblings)

        // The offset of a non-candidate code: the share of (note, learned code) pairs outside the candidates that were coded.
        var missed = 0.0, missedCoded = 0.0
        for (context, gold) in zip(trainContexts, trainTruth) {
            let candidates = Set(context.candidates)
            missed += Double(codes.count - candidates.filter(codeSet.contains).count)
            missedCoded += Double(gold.filter { codeSet.contains($0) && !candidates.contains($0) }.count)
        }
        let rate = min(max((missedCoded + 1) / (missed + 2), 1e-6), 0.5)
        let unmatched = Float(log(rate / (1 - rate)))

        let evidence = Sequential([Dense(inputSize: CodeModel.featureCount, outputSize: 32, seed: s.seed),
                                   Activation(.relu), Dense(inputSize: 32, outputSize: 1, seed: s.seed &+ 1)])
        let network = try makeNetwork(preparation: preparation, codes: codes.count, seed: s.seed)
        let model = CodeModel(preparation: preparation, codes: codes, network: network, evidence: evidence, lexicon: lexicon,
                              neighbours: neighbours, statistics: statistics, trainingNotes: train.count,
                              unmatchedOffset: unmatched, threshold: 0.5)

        // The evidence network, on (note, candidate) pairs.
        func pairs(_ contexts: [CodeModel.NoteContext], _ truth: [Set<String>]) -> TensorDataset {
            let (rows, owners) = model.featureRows(contexts)
            return TensorDataset(rows, targets: Tensor(shape: [owners.count, 1], values: owners.map { truth[$0.note].contains($0.code) ? 1 : 0 }))
        }
        let trainPairs = pairs(trainContexts, trainTruth)
        guard trainPairs.count > 0 else { throw TextModelError("the training notes give no candidate codes") }
        let evidenceEpochs = fixed?.evidence ?? 60
        let evidenceTrainer = Trainer(model: evidence, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: 3e-3),
                                      options: .init(epochs: evidenceEpochs, batchSize: 256, seed: s.seed, patience: 6, monitor: .loss))
        evidenceTrainer.shouldStop = stop.requested
        let validationPairs = validation == nil ? nil : pairs(validationContexts, validationTruth)
        let evidenceHistory = evidenceTrainer.fit(trainPairs, validation: validationPairs.flatMap { $0.count > 0 ? .loss($0) : nil }) { epoch in
            onEpoch(EpochReport(stage: "evidence", epoch: epoch, epochs: evidenceEpochs))
        }
        if evidenceTrainer.stopped { throw TrainingStopped() }
        let bestEvidenceEpoch = validation == nil ? evidenceEpochs : max(1, evidenceHistory.last?.bestEpoch ?? evidenceEpochs)

        let trainData = model.dataset(trainNotes, offsets: model.offsets(model.evidenceLogits(trainContexts)),
                                      targets: targets(trainTruth, codes: model.codeIndex))
        guard let validation else {
            // The refit: the chosen number of epochs, no validation.
            if let text = fixed?.text, text > 0 {
                let trainer = Trainer(model: network, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: s.learningRate),
                                      options: .init(epochs: text, batchSize: s.batchSize, seed: s.seed, clipNorm: 5))
                trainer.shouldStop = stop.requested
                trainer.fit(trainData) { epoch in onEpoch(EpochReport(stage: "text", epoch: epoch, epochs: text)) }
                if trainer.stopped { throw TrainingStopped() }
            }
            model.settings = ["evidenceEpochs": "\(evidenceEpochs)", "textEpochs": "\(fixed?.text ?? 0)"]
            return (model, evidenceEpochs, fixed?.text ?? 0)
        }

        let validationE = model.evidenceLogits(validationContexts)
        let validationData = model.dataset(validationNotes, offsets: model.offsets(validationE))
        func validationRanking() -> [[(code: String, score: Double)]] {
            model.rank(validationNotes.count, e: validationE, logits: Neural.predict(network, validationData, batchSize: 64))
        }
        let trainer = Trainer(model: network, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: s.learningRate),
                              options: .init(epochs: s.epochs, batchSize: s.batchSize, seed: s.seed, patience: s.patience, clipNorm: 5,
                                             monitor: .init("map", better: .higher)))
        trainer.shouldStop = stop.requested
        let before = CodeTrainer.evaluate(validationRanking(), truth: validationTruth, threshold: nil)["map"] ?? 0
        let tracked = network.parameters.map(\.value) + network.namedBuffers.map(\.1.value)
        let initial = tracked.map { $0.clone() }
        var bestMAP = before
        let history = trainer.fit(trainData, validation: .custom { _ in
            CodeTrainer.evaluate(validationRanking(), truth: validationTruth, threshold: nil)
        }) { epoch in onEpoch(EpochReport(stage: "text", epoch: epoch, epochs: s.epochs)) }
        if trainer.stopped { throw TrainingStopped() }
        var bestEpoch = history.last?.bestEpoch ?? 0
        if let best = history.first(where: { $0.epoch == bestEpoch })?.metrics["map"] { bestMAP = best }
        if bestMAP < before {
            // The untrained CNN (its logits near zero) ranked better: keep it.
            bestEpoch = 0
            for (t, k) in zip(tracked, initial) { t.copy(from: k) }
        }

        let ranked = validationRanking()
        model.threshold = CodeTrainer.bestThreshold(ranked, truth: validationTruth)
        var metrics: [String: Double] = [:]
        func record(_ prefix: String, _ values: [String: Double]) {
            for (k, v) in values { metrics[prefix + k.prefix(1).uppercased() + k.dropFirst()] = v }
        }
        record("validation", CodeTrainer.evaluate(ranked, truth: validationTruth, threshold: model.threshold))
        metrics["validationMAPBeforeText"] = before
        if lexicon != nil {
            let dictionary = validationNotes.map { CodeTrainer.dictionaryRanking($0.matches).map { (code: $0, score: 1.0) } }
            record("dictionary", CodeTrainer.evaluate(dictionary, truth: validationTruth, threshold: nil))
        }
        // The neighbours' vote alone, its threshold chosen on the same notes.
        let vote = validationContexts.map { c in
            c.votes.map { (code: $0.key, score: Double($0.value.share)) }.sorted { $0.score != $1.score ? $0.score > $1.score : $0.code < $1.code }
        }
        record("neighbours", CodeTrainer.evaluate(vote, truth: validationTruth, threshold: CodeTrainer.bestThreshold(vote, truth: validationTruth)))
        let candidates = validationContexts.map { Set($0.candidates) }
        let gold = validationTruth.reduce(0) { $0 + $1.count }
        metrics["candidateRecall"] = Double(zip(candidates, validationTruth).reduce(0) { $0 + $1.1.filter($1.0.contains).count }) / Double(max(1, gold))
        metrics["candidatesPerNote"] = Double(candidates.reduce(0) { $0 + $1.count }) / Double(max(1, candidates.count))
        metrics["threshold"] = model.threshold
        metrics["bestEpoch"] = Double(bestEpoch)
        metrics["evidenceEpochs"] = Double(bestEvidenceEpoch)
        metrics["trainingNotes"] = Double(train.count)
        metrics["validationNotes"] = Double(validation.count)
        metrics["networkCodes"] = Double(codes.count)
        metrics["unseenValidationCodes"] = Double(validationTruth.reduce(0) { $0 + $1.filter { statistics[$0] == nil || statistics[$0]!.notes == 0 }.count })
        model.metrics = metrics
        model.settings = ["epochs": "\(s.epochs)", "bestEpoch": "\(bestEpoch)", "evidenceEpochs": "\(bestEvidenceEpoch)",
                          "batchSize": "\(s.batchSize)", "learningRate": "\(s.learningRate)", "seed": "\(s.seed)",
                          "minimumNotes": "\(s.minimumNotes)", "maxTokens": "\(s.maxTokens)", "neighbours": "\(s.neighbours)",
                          "lexicon": lexicon == nil ? "none" : "\(lexicon!.sources.count) codes, \(lexicon!.termCount) terms"]
        return (model, bestEvidenceEpoch, bestEpoch)
    }

    /// MAP and micro P / R / F1 (at the model's threshold) of `model` on coded notes.
    public static func evaluate(_ model: CodeModel, on notes: [CodedNote]) -> [String: Double] {
        let ranked = model.score(notes.map { model.prepare($0.text) })
        return evaluate(ranked, truth: notes.map { Set($0.codes) }, threshold: model.threshold)
    }

    /// K-fold cross-validation over `notes` (seeded folds): each fold is scored by a model trained
    /// on the other folds, which chooses its epochs and threshold on a seeded share `validation` of
    /// them (not on the scored fold, and without the refit). Returns each fold's metrics.
    public func crossValidate(_ notes: [CodedNote], folds: Int, validation share: Double, lexicon: ConditionLexicon?,
                              stop: StopCondition = .never, onEpoch: (Int, EpochReport) -> Void = { _, _ in }) throws -> [[String: Double]] {
        guard folds >= 2, notes.count >= folds * 2 else { throw TextModelError("\(folds)-fold cross-validation needs at least \(folds * 2) notes") }
        var order = Array(notes.indices)
        var rng = SplitMix64(seed: settings.seed)
        rng.shuffle(&order)
        var once = self
        once.settings.refit = false
        var results: [[String: Double]] = []
        for fold in 0..<folds {
            let scored = order.enumerated().filter { $0.offset % folds == fold }.map { notes[$0.element] }
            let rest = order.enumerated().filter { $0.offset % folds != fold }.map { notes[$0.element] }
            let held = max(1, Int((Double(rest.count) * share).rounded()))
            let model = try once.train(Array(rest.dropFirst(held)), validation: Array(rest.prefix(held)), lexicon: lexicon, stop: stop) {
                onEpoch(fold + 1, $0)
            }
            var metrics = CodeTrainer.evaluate(model, on: scored)
            metrics["threshold"] = model.threshold
            metrics["bestEpoch"] = model.metrics["bestEpoch"]
            results.append(metrics)
        }
        return results
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
