import Neural

// Legend: B batch, T tokens, S ids per token, D embedding size, F filters, H hidden size, K classes.

/// The network families a text classifier can use.
public enum TextArchitecture: String, Codable, Sendable, CaseIterable {
    /// One LSTM over the tokens; the last state feeds the classifier.
    case lstm
    /// A bidirectional LSTM; both last states feed the classifier.
    case bilstm
    /// Parallel 1D convolutions (Kim 2014) max-pooled over time, beside the mean of the token
    /// embeddings (fastText's bag, Joulin et al. 2017).
    case cnn
}

/// The sizes of a text network: everything needed to rebuild it before its weights are loaded.
public struct TextNetworkConfiguration: Codable, Sendable, Equatable {
    /// The family.
    public var architecture: TextArchitecture
    /// Rows of the embedding table (`TextPreparation.idCount`).
    public var idCount: Int
    /// Ids per token position (`TextPreparation.idsPerPosition`).
    public var idsPerPosition: Int
    /// Number of classes K.
    public var classes: Int
    /// Embedding size D.
    public var dimension = 64
    /// LSTM hidden size H (each direction for bilstm).
    public var hiddenSize = 64
    /// Filters F per convolution width (cnn).
    public var filters = 96
    /// Convolution widths in tokens (cnn).
    public var kernelSizes = [1, 2, 3]
    /// Dropout before the classifier.
    public var dropout: Float = 0.4

    /// A configuration with the defaults above.
    public init(architecture: TextArchitecture, idCount: Int, idsPerPosition: Int, classes: Int) {
        self.architecture = architecture
        self.idCount = idCount
        self.idsPerPosition = idsPerPosition
        self.classes = classes
    }
}

/// A text network: a `BagEmbedding` (the word and its hashed n-grams per position) in front of an
/// engine body, joined in one engine `Graph` that `Trainer` trains. Layout: ids (B, T*S) -> logits (B, K).
public final class TextNetwork {
    /// Its sizes.
    public let configuration: TextNetworkConfiguration
    /// The word and n-gram embedding stage: (B, T*S) ids -> (B, T, D).
    public let embedding: BagEmbedding
    /// The engine layers after the embedding: (B, T, D) -> (B, K).
    public let body: Layer
    /// The whole network: graph nodes "embedding" then "body", so the weights are saved as
    /// `embedding.weight` and `body.…`.
    public let model: Graph
    /// How the explanation shortcut reads the body, found once (`makeOcclusionPlan`); nil when it does not apply.
    private(set) lazy var occlusionPlan: OcclusionPlan? = makeOcclusionPlan()
    /// Buffers the explanation shortcut reuses from one text to the next (`occlusionFeatures`).
    let occlusionScratch = OcclusionScratch()

    /// A freshly initialised network; the same seed gives the same weights (nil: an empty embedding, to load weights into).
    public init(_ configuration: TextNetworkConfiguration, seed: UInt64?) throws {
        self.configuration = configuration
        let c = configuration
        guard c.idCount > 2, c.idsPerPosition >= 1, c.classes >= 2, c.dimension > 0 else {
            throw TextModelError("a text network needs a vocabulary, at least 2 classes and a positive embedding size")
        }
        // Ids travel as Float (exact below 2^24).
        guard c.idCount <= 1 << 24 else {
            throw TextModelError("a text network holds at most 16,777,216 ids (words and n-gram buckets); this one needs \(c.idCount)")
        }
        embedding = seed.map { BagEmbedding(rows: c.idCount, dimension: c.dimension, idsPerPosition: c.idsPerPosition, seed: $0) }
            ?? BagEmbedding.zeros(rows: c.idCount, dimension: c.dimension, idsPerPosition: c.idsPerPosition)
        WeightSeed.reset(to: (seed ?? 0) &+ 1)
        switch c.architecture {
        case .lstm:
            body = Sequential([
                LSTM(inputSize: c.dimension, hiddenSize: c.hiddenSize),
                Dropout(rate: c.dropout),
                Dense(inputSize: c.hiddenSize, outputSize: c.classes),
            ])
        case .bilstm:
            body = Sequential([
                Bidirectional(inputSize: c.dimension, hiddenSize: c.hiddenSize),
                Dropout(rate: c.dropout),
                Dense(inputSize: 2 * c.hiddenSize, outputSize: c.classes),
            ])
        case .cnn:
            let graph = Graph()
            let x = graph.input("tokens")
            var branches = [graph.add(GlobalPool(.average), x, name: "bag")]
            for k in c.kernelSizes where k > 0 {
                let conv = graph.add(Conv1D(inputChannels: c.dimension, filters: c.filters, kernelSize: k, padding: .same), x, name: "conv\(k)")
                let relu = graph.add(Activation(.relu), conv, name: "relu\(k)")
                branches.append(graph.add(GlobalPool(.max), relu, name: "pool\(k)"))
            }
            let features = graph.concat(branches, name: "features")
            let dropped = graph.add(Dropout(rate: c.dropout), features, name: "dropout")
            let width = c.dimension + c.filters * c.kernelSizes.filter { $0 > 0 }.count
            graph.output(graph.add(Dense(inputSize: width, outputSize: c.classes), dropped, name: "classifier"))
            body = graph
        }
        model = Graph()
        let ids = model.input("ids")
        model.add(body, model.add(embedding, ids, name: "embedding"), name: "body")
    }

    /// Every trainable tensor, embedding first.
    public var parameters: [Parameter] { model.parameters }

    /// Every tensor with the name it is saved under.
    public var namedParameters: [(String, Parameter)] { model.namedParameters + model.namedBuffers }

    /// Logits (B, K) of a batch of packed ids (`TextClassifier.pack`): (B, T*S) with `lengths` the tokens of each row.
    public func logits(_ ids: Tensor, training: Bool) -> Tensor { model.forward(ids, training: training) }

    /// Logits (B, K) and the features the classifier read for them (B, F): for cnn the bag mean
    /// and the max-pooled convolutions, for an LSTM its last state (both directions for bilstm). At
    /// inference (no dropout), so the features are those the logits came from.
    public func logitsAndFeatures(_ ids: Tensor) -> (logits: Tensor, features: Tensor) {
        let logits = model.forward(ids, training: false)
        if let graph = body as? Graph, let features = graph.output(of: "features") { return (logits, features) }
        // Sequential [recurrent layer, Dropout, Dense]: the recurrent layer's output is the
        // classifier's input (Dropout passes it through at inference).
        let embedded = model.output(of: "embedding") ?? logits
        let state = (body as? Sequential)?.layers.first?.forward(embedded, training: false) ?? logits
        return (logits, state)
    }
}

/// Why a text model cannot be built, loaded or used, in words a user can act on.
public struct TextModelError: Error, CustomStringConvertible, Sendable {
    /// The message.
    public let message: String
    /// An error with a message.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
