import Corpus
import Foundation
import Genomics
import Hummingbird
import Models
import NIOCore
import TriageKit

/// A JSON request body whose fields are all known: a field the endpoint does not take is a 400
/// (a misspelt option should not be ignored silently).
protocol JSONRequest: Decodable {
    /// The fields the body may have.
    static var fields: Set<String> { get }
}

/// A body decoded in one pass that refuses a field `T` does not take (a misspelt option should not
/// be ignored silently) and a null (a field is given with a value, or left out).
struct Strict<T: JSONRequest>: Decodable {
    let value: T

    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !T.fields.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw APIError(.badRequest, "this endpoint takes no field \(unknown.map { "'\($0)'" }.joined(separator: ", ")); its fields: \(T.fields.sorted().joined(separator: ", "))")
        }
        if let null = try container.allKeys.first(where: { try container.decodeNil(forKey: $0) }) {
            throw APIError(.badRequest, "the field '\(null.stringValue)' is null; leave it out to use its default")
        }
        value = try T(from: decoder)
    }
}

/// `POST /api/vignettes/score`.
struct ScoreRequest: JSONRequest {
    static let fields: Set<String> = ["text", "model", "top"]
    var text: String
    var model: String?
    var top: Int?
}

/// The answer of `/api/vignettes/score`: `triage score --json --explain`'s numbers, the
/// explanation's effects as `weight`.
struct ScoreResponse: Encodable {
    struct Prediction: Encodable { let label: String; let probability: Double }
    struct Word: Encodable { let word: String; let weight: Double }
    let model: String
    let predictions: [Prediction]
    let explanation: [Word]
    /// Whether the case is like those the model was trained on, and how much (a model with a scope).
    let inScope: Bool?
    let scopeScore: Double?
    /// What `triage score` prints first for an out-of-scope case.
    let notice: String?
    let warning: String?
}

/// `POST /api/reports/label`.
struct LabelRequest: JSONRequest {
    static let fields: Set<String> = ["text", "scheme"]
    var text: String
    var scheme: String?
}

/// The JSON API: each route reads its input, runs one TriageKit job on a worker, and returns its result.
struct API: Sendable {
    let workspace: Workspace
    let models: ServedModels
    let workers: WorkerPool
    let jobs: JobQueue
    let options: ServerOptions

    func health() -> Response {
        json(["status": "ok", "version": TriageKit.version])
    }

    func corpus() async throws -> Response {
        try json(try await workers.run { try workspace.corpusInfo() })
    }

    func score(_ request: Request) async throws -> Response {
        let body: ScoreRequest = try await decode(request)
        let top = body.top ?? 5
        guard (1...100).contains(top) else { throw APIError(.badRequest, "top must be between 1 and 100") }
        guard !TextScoring.isEmpty(body.text) else {
            throw APIError(.unprocessableContent, "the text is empty (it has no words to score)")
        }
        let model = try models.resolve(body.model, kind: .text)
        var scoring = ScoreOptions(model: model.file, texts: [body.text])
        scoring.top = top
        scoring.explain = true
        let options = scoring, workspace = workspace
        let scored = try await workers.run { () -> ScoredText in
            var only: ScoredText?
            _ = try workspace.score(options) { only = $0 }
            guard let only else { throw APIError(.internalServerError, "no result") }
            return only
        }
        if let error = scored.result.error { throw APIError(.unprocessableContent, error) }
        // Numbers as `triage score --json` prints them: 6 significant digits.
        func printed(_ x: Double) -> Double { Double(String(format: "%.6g", x)) ?? x }
        return try json(ScoreResponse(model: model.name,
                                      predictions: scored.result.predictions.map { .init(label: $0.label, probability: printed($0.probability)) },
                                      explanation: (scored.result.explanation ?? []).map { .init(word: $0.word, weight: printed($0.effect)) },
                                      inScope: scored.result.scope?.inScope, scopeScore: scored.result.scope.map { printed($0.score) },
                                      notice: scored.result.scope?.inScope == false ? TextScoring.outOfScopeNotice(classes: scored.classes) : nil,
                                      warning: scored.result.warning))
    }

    func label(_ request: Request) async throws -> Response {
        let body: LabelRequest = try await decode(request)
        let rules = try self.rules(body.scheme)
        let text = body.text, workspace = workspace
        return try json(try await workers.run { try workspace.labelText(text, rules: rules) })
    }

    func resist(_ request: Request) async throws -> Response {
        let folder = try UploadFolder()
        defer { folder.remove() }
        let uploads = try await Uploads.read(request, limit: options.maxUpload, into: folder)
        guard !uploads.files.isEmpty else {
            throw APIError(.badRequest, "send VCF or FASTA files: multipart/form-data, or one file as the request body")
        }
        let model = try uploads.fields["model"].flatMap { $0.isEmpty ? nil : $0 }.map { try models.resolve($0, kind: .resistance) }
        var options = ResistOptions(files: uploads.files.map(\.path))
        options.data.folder = self.options.tbData
        options.model = model?.file
        options.reads.allowed = false
        let resist = options, workspace = workspace
        let (items, problems) = try await workers.run { () -> ([Data], [String]) in
            let problems = ProblemLog()
            var items: [Data] = []
            let encoder = JSONOutput.encoder()
            _ = try workspace.resist(resist, encodeJSON: true, context: JobContext(events: { event in
                if case .warning(let message) = event { problems.append(message) }
            })) { item in items.append(try item.json ?? encoder.encode(item.prediction)) }
            return (items, problems.messages.map { folder.hidden(in: $0) })
        }
        if !problems.isEmpty && items.count < uploads.files.count {
            throw APIError(.unprocessableContent, problems.joined(separator: "; "))
        }
        var body = Data("[".utf8)
        for (i, item) in items.enumerated() {
            if i > 0 { body.append(0x2C) }
            body.append(item)
        }
        body.append(0x5D)
        return raw(body)
    }

    func predictImage(_ request: Request) async throws -> Response {
        let folder = try UploadFolder()
        defer { folder.remove() }
        let uploads = try await Uploads.read(request, limit: options.maxUpload, into: folder)
        guard uploads.files.count == 1, let file = uploads.files.first else {
            throw APIError(.badRequest, "send one image (PNG, PGM/PPM or DICOM): multipart/form-data, or the file as the request body")
        }
        let model = try models.resolve(uploads.fields["model"], kind: .image)
        struct Answer: Encodable { let model: String; let probabilities: [String: Float] }
        let workspace = workspace
        let probabilities = try await workers.run { () -> [String: Float] in
            let problems = ProblemLog()
            var result: [String: Float]?
            _ = try workspace.predictImages(PredictImagesOptions(model: model.file, files: [file.path]), context: JobContext(events: { event in
                if case .warning(let message) = event { problems.append(message) }
            })) { result = $0.probabilities }
            guard let result else {
                throw APIError(.unprocessableContent, folder.hidden(in: problems.messages.joined(separator: "; ")))
            }
            return result
        }
        return try json(Answer(model: model.name, probabilities: probabilities))
    }

    // MARK: helpers

    func decode<T: JSONRequest>(_ request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: options.maxUpload)
        return try JSONDecoder().decode(Strict<T>.self, from: Data(buffer.readableBytesView)).value
    }

    func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        raw(try JSONOutput.encoder().encode(value), status: status)
    }

    func json(_ value: [String: String]) -> Response {
        raw((try? JSONOutput.encoder().encode(value)) ?? Data("{}".utf8))
    }

    func raw(_ data: Data, contentType: String = "application/json; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// The query's fields as a form encodes them (`+` is a space, then percent escapes); the
    /// first of a repeated field counts.
    var queryFields: [String: String] {
        var fields: [String: String] = [:]
        for pair in (uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decoded(parts[0])
            if fields[key] == nil { fields[key] = parts.count > 1 ? decoded(parts[1]) : "" }
        }
        return fields
    }
}

extension UploadFolder {
    /// `message` with this folder's path taken out, so that an error names the upload as the
    /// client called it, not where the server keeps it.
    func hidden(in message: String) -> String {
        message.replacingOccurrences(of: path + "/", with: "")
    }
}

/// Warnings a job sent, collected from whichever thread sent them.
final class ProblemLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var messages: [String] = []
    func append(_ message: String) { lock.lock(); messages.append(message); lock.unlock() }
}
