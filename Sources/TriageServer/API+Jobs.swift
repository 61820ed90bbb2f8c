import Corpus
import Foundation
import Hummingbird
import Inputs
import Mining
import Models
import NIOCore
import TriageKit

/// `POST /api/jobs` with a JSON body: a training job. Mining jobs come as multipart with the files.
struct JobRequest: JSONRequest {
    static let fields: Set<String> = ["kind", "name", "task", "scheme", "observation", "arch", "epochs", "members", "seed"]
    /// train-text, train-image or train-resistance (mine: multipart).
    var kind: String
    /// The model's name (letters, digits, `._-`); the file goes to the server's models folder.
    var name: String?
    /// train-text: a task's human labels, or a scheme's rule labels (with an observation: O against the rest).
    var task: String?
    var scheme: String?
    var observation: String?
    var arch: String?
    var epochs: Int?
    var members: Int?
    var seed: UInt64?
}

extension API {
    /// `POST /api/jobs`: queues a long job; answers 202 with its status (and its id).
    func submitJob(_ request: Request) async throws -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let status: JobStatus
        if contentType.hasPrefix("multipart/form-data") {
            status = try await submitMining(request)
        } else {
            let body: JobRequest = try await decode(request)
            if jobs.shared {
                throw APIError(.unprocessableContent, "training from the server on a PostgreSQL corpus is not available yet (mining jobs are): the replica that ran it would keep the model on its own disk, where the others cannot load it; train with `triage train --db` on the same corpus and serve the model with --model")
            }
            let spec = try trainingSpec(body)
            let jobs = self.jobs
            status = try await workers.run { try jobs.submit(spec) }
        }
        var response = try json(status, status: .accepted)
        response.headers[.location] = "/api/jobs/\(status.id)"
        return response
    }

    /// A mining job: the uploaded reports go to the job's own folder, kept until the job ends.
    func submitMining(_ request: Request) async throws -> JobStatus {
        let folder = try UploadFolder(root: options.jobUploadsFolder(corpus: workspace.corpusPath), removesItself: false)
        do {
            let uploads = try await Uploads.read(request, limit: options.maxUpload, into: folder)
            guard uploads.fields["kind"] ?? "mine" == "mine" else {
                throw APIError(.badRequest, "a multipart job is a mining job (kind mine); training jobs take a JSON body")
            }
            guard !uploads.files.isEmpty else {
                throw APIError(.badRequest, "a mining job needs report files: text, CSV/TSV, Open-i XML, or .tgz/.gz archives of them")
            }
            var mine = MineOptions(paths: uploads.files.map(\.path))
            mine.rules = try rules(uploads.fields["scheme"].flatMap { $0.isEmpty ? nil : $0 })
            _ = try mine.rules.load()
            if let format = uploads.fields["format"], !format.isEmpty {
                guard let f = InputFormat(rawValue: format) else {
                    throw APIError(.badRequest, "format is one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                mine.format = f
            }
            func field(_ name: String) -> String? { uploads.fields[name].flatMap { $0.isEmpty ? nil : $0 } }
            mine.textColumn = field("textColumn")
            mine.idColumn = field("idColumn")
            mine.codesColumn = field("codesColumn")
            // One core mines; the other keeps answering requests.
            mine.jobs = 1
            let spec = JobSpec.mine(mine), jobs = self.jobs, path = folder.path
            return try await workers.run { try jobs.submit(spec, folder: path) }
        } catch {
            folder.remove()
            throw error
        }
    }

    /// The options of a training job, with its output in the server's models folder.
    func trainingSpec(_ body: JobRequest) throws -> JobSpec {
        let name = try modelName(body.name ?? "")
        let folder = options.modelsFolder(corpus: workspace.corpusPath)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let output = (folder as NSString).appendingPathComponent(name)
        // Every field given is checked, whether or not this kind of job reads it.
        if let epochs = body.epochs, !(1...1000).contains(epochs) { throw APIError(.badRequest, "epochs must be between 1 and 1000") }
        if let members = body.members, !(1...10).contains(members) { throw APIError(.badRequest, "members must be between 1 and 10") }
        let arch = try body.arch.map { arch -> TextArchitecture in
            guard let a = TextArchitecture(rawValue: arch) else { throw APIError(.badRequest, "arch is cnn, lstm or bilstm") }
            return a
        }
        if let task = body.task, task.isEmpty { throw APIError(.badRequest, "the task is empty") }
        // A scheme given is a scheme that exists.
        let scheme = try body.scheme.map { try rules($0).scheme }
        // JSON numbers are exact up to 2^53 - 1; a larger seed would not be the one the client sent.
        if let seed = body.seed, seed > 9_007_199_254_740_991 { throw APIError(.badRequest, "the seed must be at most 9007199254740991") }
        switch body.kind {
        case "train-text":
            let labels: TextLabels
            if let task = body.task {
                labels = .task(task)
            } else if let scheme {
                labels = .rules(scheme: scheme, observation: body.observation.flatMap { $0.isEmpty ? nil : $0 })
            } else {
                throw APIError(.badRequest, "a text model learns a task's labels (task) or a scheme's rule labels (scheme)")
            }
            var o = TrainTextOptions(labels: labels, output: output + ".safetensors")
            o.name = name
            if let arch { o.settings.architecture = arch }
            if let epochs = body.epochs { o.settings.epochs = epochs }
            if let members = body.members { o.settings.members = members }
            if let seed = body.seed { o.settings.seed = seed }
            return .trainText(o)
        case "train-image":
            guard let task = body.task else { throw APIError(.badRequest, "an image model learns a task (task)") }
            var o = TrainImageOptions(task: task, output: output)
            o.threads = 1
            o.choices.epochs = body.epochs
            o.choices.seed = body.seed
            return .trainImage(o)
        case "train-resistance":
            var o = TrainResistanceOptions(output: output)
            if let epochs = body.epochs { o.epochs = epochs }
            if let seed = body.seed { o.seed = seed }
            return .trainResistance(o)
        case "mine":
            throw APIError(.badRequest, "a mining job uploads its reports: send multipart/form-data with the files and kind=mine")
        default:
            throw APIError(.badRequest, "kind is mine, train-text, train-image or train-resistance")
        }
    }

    /// A model name that is safe as a file name.
    func modelName(_ name: String) throws -> String {
        guard InputFile.isPlainName(name) else {
            throw APIError(.badRequest, "name the model with 1 to 64 letters, digits, '.', '_' or '-'")
        }
        return name
    }

    /// `GET /api/jobs`: the newest jobs.
    func listJobs(_ request: Request) async throws -> Response {
        let limit = try integer(request.queryFields["limit"], default: 50, name: "limit")
        guard (1...500).contains(limit) else { throw APIError(.badRequest, "limit must be between 1 and 500") }
        struct List: Encodable { let jobs: [JobStatus] }
        let jobs = self.jobs
        return try json(List(jobs: try await workers.run { try jobs.list(limit: limit) }))
    }

    /// `GET /api/jobs/{id}`.
    func job(_ id: String) async throws -> Response {
        let jobs = self.jobs
        guard let status = try await workers.run({ try jobs.status(id) }) else { throw APIError(.notFound, "no job \(id)") }
        return try json(status)
    }

    /// `POST /api/jobs/{id}/cancel` and `/restart`.
    func changeJob(_ id: String, action: String) async throws -> Response {
        let jobs = self.jobs
        let status = try await workers.run { () -> JobStatus? in
            switch action {
            case "cancel": return try jobs.cancel(id)
            case "restart": return try jobs.restart(id)
            default: throw APIError(.notFound, "a job can be cancelled or restarted")
            }
        }
        guard let status else { throw APIError(.notFound, "no job \(id)") }
        return try json(status)
    }

    /// `GET /api/jobs/{id}/events`: the job's updates as server-sent events (`status`, `progress`,
    /// `log`), starting with its status; the stream ends when the job does.
    func jobEvents(_ id: String) async throws -> Response {
        let jobs = self.jobs
        guard let stream = try await workers.run({ try jobs.updates(id) }) else { throw APIError(.notFound, "no job \(id)") }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.init("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let encoder = JSONOutput.encoder()
            for await update in stream {
                let name: String, data: Data
                switch update {
                case .status(let s): (name, data) = ("status", try encoder.encode(s))
                case .progress(let p): (name, data) = ("progress", try encoder.encode(p))
                case .log(let entry): (name, data) = ("log", try encoder.encode(entry))
                }
                var buffer = ByteBuffer(string: "event: \(name)\ndata: ")
                buffer.writeBytes(data)
                buffer.writeString("\n\n")
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        })
    }
}
