import Corpus
import Foundation
import Hummingbird
import Inputs
import Mining
import TriageKit

/// `POST /api/review/labels`.
struct ReviewRequest: JSONRequest {
    static let fields: Set<String> = ["scheme", "documentId", "reader", "labels"]
    var scheme: String?
    var documentId: Int64
    var reader: String
    var labels: [String: Int]
}

extension API {
    /// `GET /api/review`: a page of the documents with rule labels of a scheme, for one reader.
    func reviewList(_ request: Request) async throws -> Response {
        let query = request.queryFields
        var options = ReviewListOptions(reader: query["reader"] ?? "")
        options.rules = try rules(query["scheme"])
        options.observation = query["observation"]
        if let value = query["value"] {
            guard let v = Int(value), LabelValue(rawValue: v) != nil else { throw APIError(.badRequest, "value is 1, 0 or -1") }
            options.value = v
        }
        if let unreviewed = query["unreviewed"] {
            guard ["true", "false", "1", "0"].contains(unreviewed) else { throw APIError(.badRequest, "unreviewed is true or false") }
            options.unreviewedOnly = unreviewed == "true" || unreviewed == "1"
        }
        options.offset = try integer(query["offset"], default: 0, name: "offset")
        options.limit = try integer(query["limit"], default: 25, name: "limit")
        let list = options, workspace = workspace
        return try json(try await workers.run { try workspace.reviewList(list) })
    }

    /// `GET /api/review/documents/{id}`: one document with its rule labels, evidence and the reader's labels.
    func reviewDocument(_ id: String, request: Request) async throws -> Response {
        guard let documentId = Int64(id) else { throw APIError(.badRequest, "a document id is a number") }
        let query = request.queryFields
        let rules = try rules(query["scheme"]), reader = query["reader"] ?? ""
        let workspace = workspace
        return try json(try await workers.run { try workspace.reviewDocument(documentId, rules: rules, reader: reader) })
    }

    /// `POST /api/review/labels`: a reader's labels of one document, stored as human labels.
    func saveReview(_ request: Request) async throws -> Response {
        let body: ReviewRequest = try await decode(request)
        var submission = ReviewSubmission(documentId: body.documentId, reader: body.reader, labels: body.labels)
        submission.rules = try rules(body.scheme)
        let saved = submission, workspace = workspace
        return try json(try await workers.run { try workspace.saveReview(saved) })
    }

    /// `GET /api/review/agreement`: kappa between readers and between each reader and the rules.
    func reviewAgreement(_ request: Request) async throws -> Response {
        let query = request.queryFields
        let rules = try rules(query["scheme"])
        let uncertain = try query["uncertain"].map { value -> UncertainCounting in
            guard let u = UncertainCounting(rawValue: value) else { throw APIError(.badRequest, "uncertain is positive or negative") }
            return u
        } ?? .positive
        let workspace = workspace
        return try json(try await workers.run { try workspace.reviewAgreement(rules: rules, uncertain: uncertain) })
    }

    /// `GET /api/review/export`: the labels of a scheme as a CSV (or JSON lines) download, from the
    /// rules or the human readers (one reader, or the latest label of any reader).
    func exportLabels(_ request: Request) async throws -> Response {
        let query = request.queryFields
        var options = LabelExportOptions()
        options.rules = try rules(query["scheme"])
        if let source = query["source"] {
            guard let s = LabelSource(rawValue: source) else {
                throw APIError(.badRequest, "source is one of \(LabelSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.source = s
        } else {
            options.source = .human
        }
        if let format = query["format"] {
            guard let f = LabelExportFormat(rawValue: format) else { throw APIError(.badRequest, "format is csv, chexpert or jsonl") }
            options.format = f
        }
        if let reader = query["reader"], !reader.isEmpty { options.reader = reader }
        let export = options, workspace = workspace
        let table = try await workers.run { try workspace.exportLabels(export) }
        let reader = export.reader.map { "-" + $0.filter { $0.isLetter || $0.isNumber } } ?? ""
        let name = "\(export.rules.scheme)-\(export.source.rawValue)\(reader).\(export.format == .jsonl ? "jsonl" : "csv")"
        var response = raw(Data(table.output.utf8), contentType: export.format == .jsonl ? "application/x-ndjson" : "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return response
    }

    /// The rules of `scheme` (default chestxray14) in the server's rules folder: 400 for a name
    /// that cannot be a scheme, 404 for one the folder does not hold.
    func rules(_ scheme: String?) throws -> RulesOptions {
        let rules = RulesOptions(scheme: scheme ?? "chestxray14", folder: options.rulesFolder)
        guard InputFile.isPlainName(rules.scheme) else {
            throw APIError(.badRequest, "a scheme is named by 1 to 64 letters, digits, '_', '-' or '.'")
        }
        let known = RuleSet.rulesFolder(options.rulesFolder).map(RuleSet.schemes(in:)) ?? []
        guard known.contains(rules.scheme) else {
            throw APIError(.notFound, "no scheme \(rules.scheme); schemes: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        return rules
    }

    /// A query integer (absent: `fallback`), or 400 naming it.
    func integer(_ value: String?, default fallback: Int, name: String) throws -> Int {
        guard let value else { return fallback }
        guard let n = Int(value) else { throw APIError(.badRequest, "\(name) is a whole number") }
        return n
    }
}
