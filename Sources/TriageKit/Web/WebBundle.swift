import Archives
import Corpus
import Foundation

/// An `export web` folder held in memory: what `triage serve` serves at /offline/ and offers as a
/// zip. Made by `exportWeb` itself (into a temporary folder, read back and removed), so the served
/// page, the zip and `triage export web` are one code path.
public struct WebBundle: Sendable {
    /// Every file of the folder by its relative path ("index.html", "s2d/model.json").
    public let files: [String: Data]
    /// What `exportWeb` reported.
    public let summary: ExportWebSummary
    /// When it was made (the date of the zip's members).
    public let created: Date

    /// The folder a zip of the bundle unpacks into, and its file name without ".zip".
    public var name: String { summary.quantize == .none ? "triage-offline" : "triage-offline-\(summary.quantize.rawValue)" }

    /// The folder as a zip archive whose members sit in the folder `name`, in path order.
    public func zip() throws -> Data {
        var writer = ZipWriter(modified: created)
        do {
            for path in files.keys.sorted() { try writer.add(name + "/" + path, files[path] ?? Data()) }
            return try writer.finished()
        } catch { throw TriageError(.failed, "the offline folder cannot be zipped: \(error)") }
    }

    /// index.html with `notice` (HTML; no script or style) shown at the top of its body: what the
    /// server adds to the page it serves (a way back, the download, the models left out).
    public func page(notice: String) -> Data {
        let html = String(decoding: files["index.html"] ?? Data(), as: UTF8.self)
        guard let body = html.range(of: "<body"), let close = html[body.upperBound...].firstIndex(of: ">") else {
            return Data((notice + html).utf8)
        }
        let at = html.index(after: close)
        return Data((html[..<at] + "\n" + notice + html[at...]).utf8)
    }

    /// The Content-Security-Policy under which `html` (the page) runs as it does from disk: scripts
    /// and styles from the server or inline ones with exactly these contents (by SHA-256), a worker
    /// made from a blob that may compile WebAssembly (the runtime's own kernel, embedded in it:
    /// 'wasm-unsafe-eval' allows compiling, not `eval` of text), nothing fetched from elsewhere, no framing.
    public static func contentSecurityPolicy(for html: Data) -> String {
        let text = String(decoding: html, as: UTF8.self)
        func hashes(_ tag: String) -> String {
            inlineContents(of: tag, in: text).map { " 'sha256-\(Data(SHA256.digest(Data($0.utf8))).base64EncodedString())'" }.joined()
        }
        return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'\(hashes("script")); style-src 'self'\(hashes("style")); worker-src blob:; "
            + "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    }

    /// The contents of each `<tag ...>...</tag>` element of `html` that has no src attribute.
    static func inlineContents(of tag: String, in html: String) -> [String] {
        var out: [String] = []
        var rest = html[...]
        while let open = rest.range(of: "<\(tag)", options: .caseInsensitive) {
            guard let end = rest[open.upperBound...].firstIndex(of: ">") else { break }
            let attributes = rest[open.upperBound..<end]
            // "<scripts" or "<styled" are other elements.
            guard attributes.isEmpty || attributes.first?.isWhitespace == true else { rest = rest[end...]; continue }
            let start = rest.index(after: end)
            guard let close = rest[start...].range(of: "</\(tag)", options: .caseInsensitive) else { break }
            if !attributes.contains("src=") { out.append(String(rest[start..<close.lowerBound])) }
            rest = rest[close.upperBound...]
        }
        return out
    }
}

extension Workspace {
    /// `exportWeb` of `models` into a temporary folder, read back into memory; the folder is removed.
    /// A model that cannot be exported is left out, named in the summary (`leaveOutUnexportable`).
    public func exportWebBundle(models: [String], quantize: WebQuantization, tbData: String? = nil,
                                context: JobContext = .silent) throws -> WebBundle {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-offline-\(RandomID.make())")
        defer { try? FileManager.default.removeItem(at: folder) }
        var options = ExportWebOptions(models: models, output: folder.path)
        options.quantize = quantize
        options.tbData = tbData
        options.leaveOutUnexportable = true
        let created = Date()
        let summary = try exportWeb(options, context: context)
        var files: [String: Data] = [:]
        let root = folder.standardizedFileURL.path
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(root + "/") else { continue }
            do { files[String(path.dropFirst(root.count + 1))] = try Data(contentsOf: url) } catch {
                throw TriageError(.failed, "the exported file \(url.lastPathComponent) cannot be read back: \(error.localizedDescription)")
            }
        }
        return WebBundle(files: files, summary: summary, created: created)
    }
}

/// The offline bundle of a set of models, made once per quantisation and made again when the set
/// changes or one of its model files does (what `triage serve` keeps for /offline). One bundle is
/// made at a time: requests that need the same one wait for it instead of each making it.
public final class WebBundleCache: @unchecked Sendable {
    private let workspace: Workspace
    private let tbData: String?
    private let leftOut: @Sendable (ExportWebSummary.LeftOut) -> Void
    private let lock = NSLock()
    private var bundles: [WebQuantization: (key: [String], bundle: WebBundle)] = [:]

    /// A cache exporting through `workspace`, TB resistance models with the reference data in
    /// `tbData` (nil: where `export web` looks); `leftOut` hears of each model a new bundle leaves out.
    public init(workspace: Workspace, tbData: String? = nil, leftOut: @escaping @Sendable (ExportWebSummary.LeftOut) -> Void = { _ in }) {
        self.workspace = workspace
        self.tbData = tbData
        self.leftOut = leftOut
    }

    /// The bundle of `models`, in their order, without those that cannot be exported (its summary
    /// names them and why).
    public func bundle(of models: [RegisteredModel], quantize: WebQuantization) throws -> WebBundle {
        guard !models.isEmpty else {
            throw TriageError(.notFound, "no model is served, so none runs offline: train one, or start the server with --model")
        }
        let key = models.map { "\($0.name)\u{0}\($0.file)\u{0}\(WebBundleCache.stamp($0.file))" }
        lock.lock()
        defer { lock.unlock() }
        if let cached = bundles[quantize], cached.key == key { return cached.bundle }
        var bundle = try workspace.exportWebBundle(models: models.map(\.file), quantize: quantize, tbData: tbData)
        // Left-out models by the names they are served under.
        var summary = bundle.summary
        for i in summary.leftOut.indices {
            if let served = models.first(where: { $0.file == summary.leftOut[i].given }) {
                summary.leftOut[i].name = served.name
                summary.leftOut[i].kind = served.kind.rawValue
            }
        }
        bundle = WebBundle(files: bundle.files, summary: summary, created: bundle.created)
        summary.leftOut.forEach(leftOut)
        bundles[quantize] = (key, bundle)
        return bundle
    }

    /// The size and modification time of a model file, or of each file of a model folder.
    static func stamp(_ path: String) -> String {
        let manager = FileManager.default
        func one(_ p: String) -> String {
            let a = (try? manager.attributesOfItem(atPath: p)) ?? [:]
            return "\((a[.size] as? NSNumber)?.intValue ?? -1)@\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)"
        }
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return one(path) }
        let members = ((try? manager.contentsOfDirectory(atPath: path)) ?? []).sorted()
        return members.map { "\($0):" + one((path as NSString).appendingPathComponent($0)) }.joined(separator: ",")
    }
}
