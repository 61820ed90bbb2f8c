import Archives
import Corpus
import Foundation
import TestSupport
@testable import TriageKit
import XCTest

/// The offline bundle `triage serve` keeps: `export web`'s folder in memory, its zip, its cache.
extension WebExportTests {
    func testTheBundleIsTheExportedFolderAndTheCacheRemakesItWhenAModelChanges() throws {
        let model = try train(.cnn, members: 1, ngrams: [3])
        let path = folder.file("s2d.safetensors")
        try model.save(to: path)
        let workspace = Workspace()
        let direct = folder.file("direct")
        _ = try workspace.exportWeb(ExportWebOptions(models: [path], output: direct))
        let cache = WebBundleCache(workspace: workspace)
        let described = try workspace.describeModel(at: path)
        let bundle = try cache.bundle(of: [described], quantize: .none)
        XCTAssertEqual(Set(bundle.files.keys), ["index.html", "triage.js", "models.js", "s2d/model.json", "s2d/weights.bin"])
        for (name, data) in bundle.files {
            XCTAssertEqual(data, FileManager.default.contents(atPath: (direct as NSString).appendingPathComponent(name)), name)
        }
        let zip = try ZipArchive(data: try bundle.zip())
        XCTAssertEqual(zip.entries.map(\.name), bundle.files.keys.sorted().map { "triage-offline/\($0)" })
        XCTAssertEqual(try zip.contents(named: "triage-offline/s2d/weights.bin"), bundle.files["s2d/weights.bin"])

        XCTAssertEqual(try cache.bundle(of: [described], quantize: .none).created, bundle.created, "made once")
        let int8 = try cache.bundle(of: [described], quantize: .int8)
        XCTAssertEqual(int8.name, "triage-offline-int8")
        XCTAssertLessThan(int8.files["s2d/weights.bin"]?.count ?? .max, (bundle.files["s2d/weights.bin"]?.count ?? 0) / 3)
        XCTAssertEqual(try cache.bundle(of: [described], quantize: .none).created, bundle.created, "one bundle per quantisation")
        // The model file changes (a new training written over it): the bundle is made again.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: path)
        XCTAssertNotEqual(try cache.bundle(of: [described], quantize: .none).created, bundle.created)
        // A served model whose file is gone is left out, named with the reason, and the others are
        // served; when none can be exported, the error names each; no model at all is one that says so.
        let gone = RegisteredModel(name: "xray", kind: .image, task: "x", file: folder.file("xray"), metrics: [:],
                                   training: TrainingData(source: "", architecture: "", trainExamples: 0, labels: []))
        let partial = try cache.bundle(of: [gone, described], quantize: .none)
        XCTAssertEqual(partial.summary.models.map(\.folder), ["s2d"])
        XCTAssertEqual(partial.summary.leftOut.map(\.name), ["xray"], "named as served")
        XCTAssertEqual(partial.summary.leftOut.map(\.kind), ["image"])
        XCTAssertTrue(partial.summary.leftOut.first?.reason.contains("xray") ?? false, "\(partial.summary.leftOut)")
        XCTAssertTrue(partial.summary.text.contains("left out xray (image): "), partial.summary.text)
        XCTAssertThrowsError(try cache.bundle(of: [gone], quantize: .none)) { error in
            XCTAssertTrue("\(error)".contains("no model could be exported") && "\(error)".contains("xray"), "\(error)")
        }
        XCTAssertThrowsError(try cache.bundle(of: [], quantize: .none)) { error in
            XCTAssertTrue("\(error)".contains("no model is served"), "\(error)")
        }
    }

    func testTheServedPageGetsItsNoticeAndAPolicyNamingItsInlineScriptsByHash() {
        let html = "<!doctype html><html><head><style>p{}</style></head><body class=\"x\"><p>hi</p>"
            + "<script src=\"models.js\"></script><script type=\"text/plain\">data</script><scripts>no</scripts><script>run()</script></body></html>"
        let bundle = WebBundle(files: ["index.html": Data(html.utf8)], summary: ExportWebSummary(output: "", quantize: .none, models: []), created: Date())
        let page = String(decoding: bundle.page(notice: "<p id=\"served\">served</p>"), as: UTF8.self)
        XCTAssertTrue(page.contains("<body class=\"x\">\n<p id=\"served\">served</p><p>hi</p>"), page)
        XCTAssertEqual(WebBundle.inlineContents(of: "script", in: html), ["data", "run()"])
        XCTAssertEqual(WebBundle.inlineContents(of: "style", in: html), ["p{}"])
        let policy = WebBundle.contentSecurityPolicy(for: Data(html.utf8))
        XCTAssertTrue(policy.contains("'sha256-\(Data(SHA256.digest(Data("run()".utf8))).base64EncodedString())'"), policy)
        XCTAssertTrue(policy.contains("style-src 'self' 'sha256-"), policy)
        XCTAssertTrue(policy.contains("worker-src blob:") && policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"), policy)
        XCTAssertFalse(policy.contains("'unsafe-"), "no unsafe-inline or unsafe-eval: \(policy)")
    }

    func testSHA256GivesTheFIPSExampleDigests() {
        func hex(_ s: String) -> String { SHA256.digest(Data(s.utf8)).map { String(format: "%02x", $0) }.joined() }
        // FIPS 180-2, appendix B, and the empty message.
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(hex(String(repeating: "a", count: 1_000_000)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
