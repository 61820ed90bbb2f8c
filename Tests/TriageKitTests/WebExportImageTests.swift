import Foundation
import Models
import Neural
import TestSupport
@testable import TriageKit
import Vision
import XCTest

/// `export web` of image models: small networks of both architectures (a zoom stack, flip
/// averaging, Platt calibration, a two-member ensemble, a multi-label head) with random weights
/// and batch-norm statistics are exported, and Tests/Browser/export_web_image_test.mjs runs the
/// runtime in node on images of every sample type and of other sizes and channels than the
/// models', comparing with Swift's probabilities. Skipped without node.
final class WebExportImageTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triagekit-web-image") }
    override func tearDown() { folder.remove() }

    /// A seeded value in [0, 1).
    static func noise(_ i: Int, _ seed: Int) -> Float {
        var x = UInt64(truncatingIfNeeded: i &* 2_654_435_761 &+ seed &* 40_503 &+ 12345)
        x ^= x >> 33; x = x &* 0xff51afd7ed558ccd; x ^= x >> 33; x = x &* 0xc4ceb9fe1a85ec53; x ^= x >> 33
        return Float(x >> 40) / Float(1 << 24)
    }

    /// A blob somewhere, a gradient and noise, width x height x channels samples in [0, 1].
    static func picture(width: Int, height: Int, channels: Int, seed: Int) -> [Float] {
        var out: [Float] = []
        let cx = 0.15 + 0.7 * noise(1, seed), cy = 0.15 + 0.7 * noise(2, seed), sharpness = 5 + 40 * noise(3, seed)
        for y in 0..<height {
            for x in 0..<width {
                let dx = Float(x) / Float(width) - cx, dy = Float(y) / Float(height) - cy
                let blob = exp(-(dx * dx + dy * dy) * sharpness)
                for c in 0..<channels {
                    let v = 0.6 * blob + 0.3 * Float(x + c) / Float(width + channels) * noise(4 + c, seed) + 0.25 * noise((y * width + x) * channels + c, seed)
                    out.append(min(max(v, 0), 1))
                }
            }
        }
        return out
    }

    /// Images of each sample type, at and away from the models' sizes, grey and colour.
    static let images: [AnyImage] = {
        func bytes(_ w: Int, _ h: Int, _ c: Int, _ seed: Int) -> AnyImage {
            .uint8(ImageBuffer(width: w, height: h, channels: c, pixels: picture(width: w, height: h, channels: c, seed: seed).map { UInt8($0 * 255) })!)
        }
        return [
            bytes(20, 16, 1, 1), bytes(45, 37, 1, 2), bytes(13, 11, 3, 3), bytes(20, 16, 3, 4), bytes(28, 28, 1, 5),
            .uint16(ImageBuffer(width: 31, height: 50, channels: 1, pixels: picture(width: 31, height: 50, channels: 1, seed: 6).map { UInt16($0 * 65535) })!),
            .float(ImageBuffer(width: 20, height: 16, channels: 3, pixels: picture(width: 20, height: 16, channels: 3, seed: 7))!),
            bytes(64, 9, 1, 8),
        ]
    }()

    /// Batch-norm statistics of the fixture images (as training would leave them, so activations
    /// keep their spread), then moved at random with gamma and beta, and a larger head: every part
    /// of the network moves the outputs, and the images get different answers.
    static func settle(_ graph: Layer, _ p: ImagePreprocessing) {
        let per = p.width * p.height * p.inputChannels
        let batch = Tensor(shape: [images.count, p.height, p.width, p.inputChannels])
        for (i, image) in images.enumerated() { p.finish(p.base(image), into: batch.pointer + i * per) }
        for _ in 0..<60 { _ = graph.forward(batch, training: true) }
        var k = 0
        for (name, parameter) in graph.namedParameters + graph.namedBuffers {
            let t = parameter.value
            for i in 0..<t.count {
                let u = noise(i, 1000 + k)
                if name.hasSuffix("bn.running_var") { t.pointer[i] *= 0.8 + 0.4 * u }
                else if name.hasSuffix("bn.running_mean") { t.pointer[i] += 0.2 * u - 0.1 }
                else if name.hasSuffix("bn.weight") { t.pointer[i] = 0.5 + u }
                else if name.hasSuffix("bn.bias") { t.pointer[i] = 0.4 * u - 0.2 }
                else if name.hasSuffix("head.dense.weight") { t.pointer[i] *= 4 }
            }
            k += 1
        }
    }

    static func classifier(_ architecture: ImageArchitecture, channels: Int, zooms: [Float], labels: [String], multiLabel: Bool = false,
                           width: Int = 20, height: Int = 16, flip: Bool = false, calibration: [Float]? = nil, members: Int = 1) -> ImageClassifier {
        let configuration = ImageNetworkConfiguration(architecture: architecture, width: 4, inputChannels: channels * zooms.count, outputs: labels.count)
        var p = ImagePreprocessing(width: width, height: height, channels: channels, zooms: zooms, mean: 0.45, std: 0.22, flipAveraging: flip)
        p.calibration = calibration
        let nets = (0..<members).map { _ in ImageNetwork.build(configuration) }
        nets.forEach { settle($0, p) }
        let graph = members == 1 ? nets[0] : ImageNetwork.ensemble(nets, configuration: configuration)
        return ImageClassifier(model: graph, preprocessing: p, labels: labels, multiLabel: multiLabel, task: "toy")
    }

    /// The classifier with its head's weights doubled and the last class's bias raised by 15: the
    /// fixture images' log-odds fall between about 4 and 10, where the last class's probability is
    /// 0.98 to 0.99995 and a float32 p has few steps left before 1.
    static func confident(_ classifier: ImageClassifier) -> ImageClassifier {
        for (name, parameter) in classifier.model.namedParameters {
            if name.hasSuffix("head.dense.weight") { for i in 0..<parameter.value.count { parameter.value.pointer[i] *= 2 } }
            if name.hasSuffix("head.dense.bias") { parameter.value.pointer[1] += 15 }
        }
        return classifier
    }

    /// The image as the runtime receives it in the fixtures.
    static func json(_ image: AnyImage) -> [String: Any] {
        switch image {
        case .uint8(let i): return ["width": i.width, "height": i.height, "channels": i.channels, "type": "uint8", "data": i.pixels.map(Int.init)]
        case .uint16(let i): return ["width": i.width, "height": i.height, "channels": i.channels, "type": "uint16", "data": i.pixels.map(Int.init)]
        case .float(let i): return ["width": i.width, "height": i.height, "channels": i.channels, "type": "float32", "data": i.pixels.map(Double.init)]
        }
    }

    func testTheRuntimePredictsImagesAsTheSwiftEngineInNode() throws {
        guard let node = WebExportTests.node() else { throw XCTSkip("node is not installed (Debian: nodejs): the runtime's parity test cannot run") }
        try EngineThreads.with(Parallel.online) { try imageParity(node) }
    }

    func imageParity(_ node: String) throws {
        WeightSeed.reset(to: 7)
        let models: [(String, ImageClassifier)] = [
            ("small-zooms", Self.classifier(.small, channels: 1, zooms: [1, 1.6], labels: ["a", "b", "c"])),
            ("resnet-colour", Self.classifier(.resnet, channels: 3, zooms: [1], labels: ["normal", "pneumonia"], flip: true, calibration: [1.4, -0.3])),
            ("ensemble", Self.classifier(.resnet, channels: 1, zooms: [1, 2], labels: ["0", "1"], width: 28, height: 28, flip: true, members: 2)),
            ("multilabel", Self.classifier(.small, channels: 1, zooms: [1], labels: ["w", "x", "y", "z"], multiLabel: true, flip: true)),
            // Confident and calibrated: probabilities near 0 and 1, where a float32-rounded p's
            // log-odds moved the small calibrated probability by up to 2e-4 relative.
            ("resnet-confident", Self.confident(Self.classifier(.resnet, channels: 1, zooms: [1], labels: ["negative", "positive"], flip: true,
                                                                calibration: [1.7, 0.8]))),
        ]
        var paths: [String] = []
        for (name, model) in models {
            let path = folder.file(name)
            try model.save(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let web = folder.file("web")
        let summary = try Workspace().exportWeb(ExportWebOptions(models: paths, output: web))
        XCTAssertEqual(summary.models.map(\.folder), models.map(\.0))
        XCTAssertEqual(summary.models.map(\.kind), Array(repeating: "image", count: models.count))
        var fixtures: [[String: Any]] = []
        for (name, model) in models {
            // The saved model, as `triage predict image` loads it.
            let loaded = try ImageClassifier.load(from: URL(fileURLWithPath: folder.file(name)))
            fixtures.append(["folder": name, "tolerance": 1e-5, "probabilities": loaded.probabilities(Self.images).map { $0.map(Double.init) },
                             "labels": model.labels, "calibrated": model.preprocessing.calibration != nil])
        }
        // The preprocessing alone: the model input Swift builds from each image.
        let first = models[0].1.preprocessing
        let inputs: [[Double]] = Self.images.map { image in
            var input = [Float](repeating: 0, count: first.width * first.height * first.inputChannels)
            input.withUnsafeMutableBufferPointer { first.finish(first.base(image), into: $0.baseAddress!) }
            return input.map(Double.init)
        }

        // Quantised exports: the runtime reads back what Swift's dequantisation gives, and stays
        // close to float32. The check runs on a small .npz written here.
        var checkImages: [UInt8] = [], checkLabels: [UInt8] = []
        for i in 0..<12 {
            checkImages += Self.picture(width: 20, height: 16, channels: 1, seed: 100 + i).map { UInt8($0 * 255) }
            checkLabels.append(UInt8(i % 2))
        }
        let npz = folder.file("check.npz")
        try NPZFile.archiveBytes([("test_images", try XCTUnwrap(NPYArray(uint8: checkImages, shape: [12, 16, 20]))),
                                  ("test_labels", try XCTUnwrap(NPYArray(uint8: checkLabels, shape: [12, 1])))])
            .write(to: URL(fileURLWithPath: npz))
        var quantised: [[String: Any]] = []
        for quantize in [WebQuantization.float16, .int8] {
            var options = ExportWebOptions(models: [paths[1]], output: folder.file("web-\(quantize.rawValue)"))
            options.quantize = quantize
            options.check = npz
            let written = try Workspace().exportWeb(options)
            let check = try XCTUnwrap(written.models.first?.check)
            XCTAssertEqual(check.texts, 12)
            XCTAssertTrue((0...1).contains(check.accuracyFloat32) && (0...1).contains(check.accuracyQuantised) && (0...1).contains(check.topAgreement))
            XCTAssertTrue(written.text.contains("on 12 labelled images"), written.text)
            XCTAssertLessThan(written.models[0].weightBytes, summary.models[1].weightBytes / (quantize == .int8 ? 2 : 1))
            let dequantised = try ImageClassifier.load(from: URL(fileURLWithPath: paths[1]))
            for (_, parameter) in dequantised.model.namedParameters + dequantised.model.namedBuffers {
                let t = parameter.value
                guard let storage = WebExport.imageStorage(shape: t.shape, quantize: quantize) else { continue }
                let restored = WebExport.dequantised(Array(UnsafeBufferPointer(start: t.pointer, count: t.count)), rowLength: storage.rowLength, quantize: quantize)
                for i in 0..<t.count { t.pointer[i] = restored[i] }
            }
            let copy = (web as NSString).appendingPathComponent("resnet-colour-\(quantize.rawValue)")
            try FileManager.default.copyItem(atPath: folder.file("web-\(quantize.rawValue)/resnet-colour"), toPath: copy)
            quantised.append(["folder": "resnet-colour-\(quantize.rawValue)", "of": "resnet-colour", "tolerance": 1e-5,
                              "probabilities": dequantised.probabilities(Self.images).map { $0.map(Double.init) }])
        }
        // A check set of the other kind is refused naming what to give.
        var wrong = ExportWebOptions(models: [paths[0]], output: folder.file("web-wrong"))
        wrong.quantize = .int8
        wrong.check = folder.file("texts.csv")
        XCTAssertThrowsError(try Workspace().exportWeb(wrong)) { XCTAssertTrue("\($0)".contains("MedMNIST .npz"), "\($0)") }

        let fixturesPath = folder.file("fixtures.json")
        try JSONSerialization.data(withJSONObject: [
            "web": web, "exported": summary.models.map(\.folder), "images": Self.images.map(Self.json), "models": fixtures,
            "quantised": quantised, "inputs": inputs,
        ] as [String: Any]).write(to: URL(fileURLWithPath: fixturesPath))
        let test = TestPaths.project("Tests/Browser/export_web_image_test.mjs")
        // Twice where node can: the plain SIMD kernel, and the fused multiply-add one (relaxed SIMD,
        // which browsers run and node 20 runs behind a flag).
        var runs: [([String], String)] = [([], "wasm-simd")]
        if (try? WebExportTests.run(node, ["--experimental-wasm-relaxed-simd", "-e", ""], environment: [:]).0) == 0 {
            runs.append((["--experimental-wasm-relaxed-simd"], "wasm-fma"))
        }
        for (flags, kernel) in runs {
            let (status, output) = try WebExportTests.run(node, flags + ["--test", "--test-reporter=spec", test],
                                                          environment: ["TRIAGE_WEB_FIXTURES": fixturesPath, "TRIAGE_WEB_KERNEL": kernel])
            XCTAssertEqual(status, 0, output)
            for line in output.split(separator: "\n") where line.hasPrefix("# ") && line.contains("difference") { print("\(kernel) \(line)") }
            XCTAssertTrue(output.contains("worst relative difference"), output)
            XCTAssertFalse(output.contains("# skipped") && !output.contains("# skipped 0"), output)
        }
    }

    /// triage.js embeds the WebAssembly kernel as base64: it must be what tools/build-wasm makes
    /// of Sources/TriageKit/Web/wasm/kernels.c now (the build is reproducible), so the source in the
    /// repository is the code that runs. Skipped without the toolchain's clang.
    func testTheEmbeddedWebAssemblyKernelIsARebuildOfItsSource() throws {
        guard let swift = TestProgram.find("swift") else { throw XCTSkip("swift is not on PATH: its clang builds the kernel") }
        let clang = URL(fileURLWithPath: swift).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("clang").path
        guard FileManager.default.isExecutableFile(atPath: clang), let bash = TestProgram.find("bash") else {
            throw XCTSkip("no clang beside \(swift): the WebAssembly kernel cannot be rebuilt here")
        }
        let (status, output) = try TestProgram.run(bash, [TestPaths.project("tools/build-wasm"), "--check"], environment: ["CLANG": clang])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("holds the rebuilt kernel"), output)
    }

    func testALayerTheRuntimeDoesNotRunIsRefusedNamingIt() throws {
        let g = Graph()
        let x = g.add(Conv2D(inputChannels: 1, filters: 2, kernelSize: (3, 3), padding: .same), g.input("image"), name: "conv")
        let y = g.add(Activation(.gelu), x, name: "gelu")
        g.add(Dense(inputSize: 2, outputSize: 2), g.add(GlobalPool(.average), y, name: "pool"), name: "head")
        XCTAssertThrowsError(try WebExport.imageGraph(g.config)) { XCTAssertTrue("\($0)".contains("GELU"), "\($0)") }
        let s = Sequential([Flatten(), Dense(inputSize: 4, outputSize: 2)])
        XCTAssertThrowsError(try WebExport.imageGraph(s.config)) { XCTAssertTrue("\($0)".contains("node 0 is a flatten layer"), "\($0)") }
    }
}
