import Archives
import Foundation
import Genomics
import Models
import TestSupport
import TriageKit
import TriageServer
import XCTest

/// /offline/ and /api/offline.zip: the files `triage export web` writes for the served models.
extension ServerTests {
    /// A direct `export web` of the suite's models in the server's order (the --model one first), file by file.
    func directExport(_ quantize: WebQuantization = .none) throws -> [String: Data] {
        let output = Self.folder.file("direct-\(quantize.rawValue)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = ExportWebOptions(models: [Self.imageModel, Self.textModel], output: output)
        options.quantize = quantize
        _ = try Workspace(corpusPath: Self.folder.file("c.sqlite")).exportWeb(options)
        var files: [String: Data] = [:]
        for path in try FileManager.default.subpathsOfDirectory(atPath: output) {
            let full = (output as NSString).appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[path] = try Data(contentsOf: URL(fileURLWithPath: full))
            }
        }
        return files
    }

    func testTheOfflinePageServesTheExportedFolderUnderItsOwnPolicy() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let direct = try directExport()
        XCTAssertEqual(Set(direct.keys), ["index.html", "triage.js", "models.js", "toy/model.json", "toy/weights.bin",
                                          "squares/model.json", "squares/weights.bin"])

        let bare = try await server.call("/offline", contentType: nil)
        XCTAssertEqual(bare.status, 301, "to /offline/, where the page's relative links resolve")
        XCTAssertEqual(bare.headers["location"], "/offline/")
        let page = try await server.call("/offline/", contentType: nil)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.headers["content-type"]?.hasPrefix("text/html") ?? false)
        let html = String(decoding: page.body, as: UTF8.self)
        // The exported page, with the server's notice as the body's first paragraphs.
        let notice = try XCTUnwrap(html.range(of: "\n<p class=\"note\" id=\"served\">"))
        let after = try XCTUnwrap(html.range(of: "</p>", range: notice.upperBound..<html.endIndex))
        XCTAssertEqual(String(html[..<notice.lowerBound] + html[after.upperBound...]), String(decoding: direct["index.html"]!, as: UTF8.self))
        XCTAssertFalse(html.contains("left-out"), "every served model is in the page")
        XCTAssertFalse(html.contains(" style=\""), "a style attribute would be blocked by the page's policy (hashes cover elements only)")
        XCTAssertTrue(html.contains("<a href=\"/api/offline.zip?quantize=int8\" download>int8</a>"), String(html[notice.lowerBound..<after.upperBound]))
        // Its policy allows its inline script by hash and its blob worker, and nothing from elsewhere.
        let policy = try XCTUnwrap(page.headers["content-security-policy"])
        XCTAssertTrue(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-") && policy.contains("worker-src blob:") && policy.contains("frame-ancestors 'none'"), policy)
        XCTAssertFalse(policy.contains("'unsafe-"), "no unsafe-inline or unsafe-eval (WebAssembly compiling only): \(policy)")
        XCTAssertTrue(policy.contains("'wasm-unsafe-eval'"), policy)
        XCTAssertEqual(page.headers["x-frame-options"], "DENY")
        let home = try await server.call("/", contentType: nil)
        XCTAssertEqual(home.headers["content-security-policy"]?.contains("sha256"), false, "the other pages keep the strict policy")
        XCTAssertTrue(String(decoding: home.body, as: UTF8.self).contains("href=\"/offline/\""), "the navigation links the offline page")

        for path in ["models.js", "triage.js", "toy/model.json", "toy/weights.bin", "squares/model.json", "squares/weights.bin"] {
            let file = try await server.call("/offline/" + path, contentType: nil)
            XCTAssertEqual(file.status, 200, path)
            XCTAssertEqual(file.body, direct[path], "\(path) is the exported file")
        }
        let script = try await server.call("/offline/triage.js", contentType: nil)
        XCTAssertTrue(script.headers["content-type"]?.hasPrefix("text/javascript") ?? false)
        for missing in ["/offline/nothing.js", "/offline/toy/other.bin", "/offline/..%2F..%2Fetc%2Fpasswd", "/offline/index.html"] {
            let answer = try await server.call(missing, contentType: nil)
            XCTAssertEqual(answer.status, 404, missing)
        }
    }

    func testTheDownloadIsTheExportedFolderAsAZipPerQuantisation() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        for quantize in [WebQuantization.none, .int8] {
            let direct = try directExport(quantize)
            let answer = try await server.call("/api/offline.zip" + (quantize == .none ? "" : "?quantize=\(quantize.rawValue)"), contentType: nil)
            XCTAssertEqual(answer.status, 200)
            XCTAssertEqual(answer.headers["content-type"], "application/zip")
            let folder = quantize == .none ? "triage-offline" : "triage-offline-int8"
            XCTAssertEqual(answer.headers["content-disposition"], "attachment; filename=\"\(folder).zip\"")
            let zip = try ZipArchive(data: answer.body, origin: "offline.zip")
            XCTAssertEqual(Set(zip.entries.map(\.name)), Set(direct.keys.map { "\(folder)/\($0)" }))
            for (path, data) in direct {
                XCTAssertEqual(try zip.contents(named: "\(folder)/\(path)"), data, "\(path) equals `export web`'s (\(quantize.rawValue))")
            }
            // The bundle is made once: the same request answers the same bytes (dates included).
            let again = try await server.call("/api/offline.zip" + (quantize == .none ? "" : "?quantize=\(quantize.rawValue)"), contentType: nil)
            XCTAssertEqual(again.body, answer.body)
        }
        let (bad, body) = try await server.json("/api/offline.zip?quantize=int4")
        XCTAssertEqual(bad, 400)
        XCTAssertTrue(((body as? [String: Any])?["error"] as? String)?.contains("none, float16 or int8") ?? false, "\(String(describing: body))")
    }

    /// A TB resistance model whose reference data (H37Rv, annotation) is missing cannot be exported:
    /// the page and the zip leave it out, say why, and serve the other models.
    func testAModelThatCannotBeExportedIsLeftOutWithItsReasonAndTheRestServed() async throws {
        var genotypes = GenotypeTable(), phenotypes = PhenotypeTable()
        for n in 0..<24 {
            let id = "iso\(n)", resistant = n % 2 == 0
            genotypes.samples.append(id)
            phenotypes.samples.append(id)
            genotypes.variants[id] = resistant ? [SampleVariant(variant: GeneVariant(gene: "katG", change: "p.Ser315Thr", effect: "missense_variant"))] : []
            phenotypes.phenotypes[id] = ["Isoniazid": .init(resistant: resistant, method: "WHO")]
        }
        let (model, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, minimumCount: 2, epochs: 1)
        let tb = Self.folder.file("tb-\(UUID().uuidString)")
        try model.save(to: URL(fileURLWithPath: tb), metrics: [:])
        let emptyData = Self.folder.file("no-tb-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: emptyData, withIntermediateDirectories: true)
        var options = try options()
        options.models = [Self.imageModel, tb]
        options.tbData = emptyData
        let server = try await LiveServer(options)
        defer { Task { await server.stop() } }

        let page = try await server.call("/offline/", contentType: nil)
        XCTAssertEqual(page.status, 200)
        let html = String(decoding: page.body, as: UTF8.self)
        let notice = try XCTUnwrap(html.range(of: "<div class=\"note\" id=\"left-out\">"), "the page names what it leaves out")
        let end = try XCTUnwrap(html.range(of: "</div>", range: notice.upperBound..<html.endIndex))
        let said = String(html[notice.lowerBound..<end.upperBound])
        XCTAssertTrue(said.contains("(resistance)") && said.contains("H37Rv"), said)
        XCTAssertFalse(html.contains(" style=\""), "the notice keeps to the page's policy")
        // The rest is served: the image and text models' files, and no folder for the TB model.
        let models = try await server.call("/offline/models.js", contentType: nil)
        XCTAssertEqual(models.status, 200)
        let script = String(decoding: models.body, as: UTF8.self)
        XCTAssertTrue(script.contains("\"folder\":\"squares\"") && script.contains("\"folder\":\"toy\""))
        XCTAssertFalse(script.contains("tb-resistance"), "the TB model is not in the page's models")
        let zip = try ZipArchive(data: try await server.call("/api/offline.zip", contentType: nil).body, origin: "offline.zip")
        XCTAssertEqual(Set(zip.entries.map(\.name)), ["index.html", "triage.js", "models.js", "toy/model.json", "toy/weights.bin",
                                                      "squares/model.json", "squares/weights.bin"].reduce(into: Set<String>()) { $0.insert("triage-offline/" + $1) })

        // What the server logs: the cache tells its listener once per bundle it makes.
        let heard = LockedList()
        let cache = WebBundleCache(workspace: Workspace(corpusPath: Self.folder.file("c.sqlite")), tbData: emptyData) { heard.append("\($0.name) (\($0.kind)): \($0.reason)") }
        let served = [try Workspace().describeModel(at: Self.imageModel), try Workspace().describeModel(at: tb)]
        let bundle = try cache.bundle(of: served, quantize: .none)
        _ = try cache.bundle(of: served, quantize: .none)
        XCTAssertEqual(bundle.summary.models.map(\.kind), ["image"])
        XCTAssertEqual(heard.items.count, 1, "\(heard.items)")
        XCTAssertTrue(heard.items.first?.contains("H37Rv") ?? false, "\(heard.items)")
        // Only when every model is left out does the page fail, naming them all.
        XCTAssertThrowsError(try cache.bundle(of: [served[1]], quantize: .none)) { XCTAssertTrue("\($0)".contains("no model could be exported"), "\($0)") }
    }

    func testWithATokenTheOfflinePageAndDownloadNeedIt() async throws {
        let server = try await LiveServer(try options(token: "s3cret-token"))
        defer { Task { await server.stop() } }
        let page = try await server.call("/offline/", contentType: nil)
        XCTAssertEqual(page.status, 303)
        XCTAssertEqual(page.headers["location"], "/login")
        let models = try await server.call("/offline/models.js", contentType: nil)
        XCTAssertEqual(models.status, 303)
        let download = try await server.call("/api/offline.zip", contentType: nil)
        XCTAssertEqual(download.status, 401)
        let bearer = try await server.call("/api/offline.zip", contentType: nil, headers: ["Authorization": "Bearer s3cret-token"])
        XCTAssertEqual(bearer.status, 200)
        XCTAssertNoThrow(try ZipArchive(data: bearer.body))
    }

    func testWithoutAModelTheOfflinePageSaysSo() async throws {
        var options = try options()
        options.corpusPath = Self.folder.file("empty.sqlite")
        options.models = []
        let server = try await LiveServer(options)
        defer { Task { await server.stop() } }
        let page = try await server.call("/offline/", contentType: nil)
        XCTAssertEqual(page.status, 404)
        XCTAssertTrue(page.headers["content-type"]?.hasPrefix("text/html") ?? false)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("no model is served"))
        let (status, _) = try await server.json("/api/offline.zip")
        XCTAssertEqual(status, 404)
    }
}

/// Strings appended from any thread.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
