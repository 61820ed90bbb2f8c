import Archives
import Foundation
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
        XCTAssertFalse(html.contains("not-exportable"), "every served kind is exportable")
        XCTAssertFalse(html.contains(" style=\""), "a style attribute would be blocked by the page's policy (hashes cover elements only)")
        XCTAssertTrue(html.contains("<a href=\"/api/offline.zip?quantize=int8\" download>int8</a>"), String(html[notice.lowerBound..<after.upperBound]))
        // Its policy allows its inline script by hash and its blob worker, and nothing from elsewhere.
        let policy = try XCTUnwrap(page.headers["content-security-policy"])
        XCTAssertTrue(policy.contains("script-src 'self' 'sha256-") && policy.contains("worker-src blob:") && policy.contains("frame-ancestors 'none'"), policy)
        XCTAssertFalse(policy.contains("unsafe"), policy)
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
