import Foundation
import Genomics
import Models
import Neural
import TriageKit
import Vision

// Model files are untrusted input (issue 12): a safetensors file, and the JSON configuration each
// kind of model carries. The configuration targets take the JSON as input, build weights of the
// shapes it implies (as a file from elsewhere could hold), and run the model through the same
// TriageKit job as the CLI (`score --model`, `predict image --model`, `resist --model`).

/// Texts every loaded text model scores.
let sampleTexts = ["I have had a fever and a dry cough for three days",
                   "itchy red rash on both arms after gardening", "x"]

/// Scores `sampleTexts` with the text model at `path` as `triage score --model PATH --explain` does.
func scoreTexts(model path: String) {
    var options = ScoreOptions(model: path, texts: sampleTexts)
    options.top = 3
    options.explain = true
    _ = try? Workspace().score(options) { _ in }
}

/// A text model file: the configuration's metadata and weights the configuration implies.
func textModel(_ json: Data) {
    let path = Scratch.folder + "/text-model.safetensors"
    let url = URL(fileURLWithPath: path)
    let config = String(decoding: json, as: UTF8.self)
    // The configuration alone (no weights): the loader's checks, then the networks it builds.
    try? Safetensors.save([], metadata: ["format": TextClassifier.format, "config": config], to: url)
    do { _ = try TextClassifier.load(from: path) } catch {
        guard "\(error)".contains("the weights lack") else { return }
    }
    // The loader accepted it: write weights of the shapes it asks for, then score with the model.
    guard let configuration = try? JSONDecoder().decode(TextClassifier.Configuration.self, from: Data(config.utf8)),
          configuration.members <= 8 else { return }
    var networks: [TextNetwork] = []
    for m in 0..<configuration.members {
        guard let network = try? TextNetwork(configuration.network, seed: UInt64(m)) else { return }
        networks.append(network)
    }
    let classifier = TextClassifier(configuration: configuration, networks: networks)
    if let scope = configuration.scope {
        let bank = Tensor(shape: [2, 4])
        classifier.setScope(scope, banks: Array(repeating: bank, count: networks.count))
    }
    guard (try? classifier.save(to: path)) != nil else { return }
    scoreTexts(model: path)
}

/// Writes weights of the shapes `config.json` in `folder` implies (nil when the architecture cannot be built).
func writeWeights(folder: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: folder + "/" + ModelFile.configName),
          let file = try? JSONDecoder().decode(ModelFile.self, from: data),
          let layer = try? WeightSeed.withoutInitialising({ try file.architecture.makeLayer() }) else { return false }
    let tensors = (layer.namedParameters + layer.namedBuffers).map { ($0.0, $0.1.value) }
    guard let bytes = try? Safetensors.encode(tensors, metadata: ["format": "pt"]) else { return false }
    return Scratch.write(bytes, to: folder + "/" + ModelFile.weightsName)
}

/// Image files every loaded image model predicts: grey 28 x 28, colour 10 x 7, a 1 x 1 pixel.
nonisolated(unsafe) var imageFiles: [String] = []

func writeImageFiles() {
    func png(_ image: AnyImage, _ name: String) -> String? {
        guard let data = try? PNGCodec.encode(image) else { return nil }
        return Scratch.file(name, data)
    }
    let grey = ImageBuffer<UInt8>(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8($0 % 251) })!
    let colour = ImageBuffer<UInt8>(width: 10, height: 7, channels: 3, pixels: (0..<210).map { UInt8($0 * 7 % 256) })!
    let dot = ImageBuffer<UInt8>(width: 1, height: 1, channels: 1, pixels: [200])!
    imageFiles = [png(.uint8(grey), "grey.png"), png(.uint8(colour), "colour.png"), png(.uint8(dot), "dot.png")].compactMap { $0 }
}

/// A genotype table of isolates `resist --genotypes` predicts, and the vocabulary written when the input gives none.
let resistanceGenotypes = """
    sample_id,gene,variant,effect,allele_fraction,position
    S1,rpoB,p.Ser450Leu,missense_variant,1.0,761155
    S1,katG,p.Ser315Thr,missense_variant,0.9,2155168
    S2,inhA,c.-777C>T,upstream_gene_variant,1.0,1673425
    S2,pncA,p.His57Asp,missense_variant,0.3,2289073
    S2,gyrA,p.Asp94Gly,missense_variant,,
    S3,embB,p.Met306Val,missense_variant,1.0,4247429
    S4,rpoB,,,,

    """
let defaultVocabulary = ["<pad>", "<isolate>", "rpoB p.Ser450Leu", "rpoB ?", "katG p.Ser315Thr", "katG ?",
                         "inhA c.-777C>T", "pncA p.His57Asp", "pncA LoF", "embB ?"].joined(separator: "\n")

let modelTargets: [FuzzTarget] = [
    FuzzTarget(name: "safetensors", maxLength: 64 << 10,
               summary: "safetensors (Safetensors.decode; the file as a text model, scored as `score --model`)") { data in
        _ = try? Safetensors.decode(data, path: "fuzz.safetensors")
        let path = Scratch.file("fuzz.safetensors", data)
        if (try? TextClassifier.load(from: path)) != nil { scoreTexts(model: path) }
    },
    FuzzTarget(name: "text-model-config", maxLength: 32 << 10,
               summary: "a text model's configuration JSON (TextClassifier.load, then `score --model --explain`)",
               mutation: .json) { data in
        textModel(data)
    },
    FuzzTarget(name: "image-model-config", maxLength: 32 << 10,
               summary: "an image model's config.json (ModelFile, ImageClassifier.load, then `predict image --model`)",
               setUp: writeImageFiles, mutation: .json) { data in
        let folder = Scratch.emptyFolder("image-model")
        Scratch.write(data, to: folder + "/" + ModelFile.configName)
        // The configuration alone first: the loader checks it before it reads any weights, so only a
        // configuration it accepts gets weights of the shapes it implies (as large as it may say).
        do { _ = try ImageClassifier.load(from: URL(fileURLWithPath: folder)) } catch {
            guard "\(error)".contains(ModelFile.weightsName) else { return }
        }
        guard writeWeights(folder: folder) else { return }
        _ = try? Workspace().predictImages(PredictImagesOptions(model: folder, files: imageFiles)) { _ in }
    },
    FuzzTarget(name: "resistance-model-config", maxLength: 32 << 10,
               summary: "a TB resistance model's config.json %% vocabulary.txt (either architecture's load, then `resist --model`)",
               mutation: .json) { data in
        let files = parts(data, count: 2)
        let folder = Scratch.emptyFolder("resistance-model")
        Scratch.write(files[0], to: folder + "/" + ModelFile.configName)
        Scratch.write(files.count > 1 ? files[1] : Data(defaultVocabulary.utf8), to: folder + "/vocabulary.txt")
        guard writeWeights(folder: folder) else {
            _ = try? ResistanceTraining.load(from: URL(fileURLWithPath: folder))
            return
        }
        if let model = try? ResistanceTraining.load(from: URL(fileURLWithPath: folder)),
           let table = try? GenotypeTable.read(Scratch.file("genotypes-sample.csv", Data(resistanceGenotypes.utf8))) {
            _ = model.predict(table.samples.map { ($0, table.variants[$0] ?? []) })
        }
        var options = ResistOptions()
        options.genotypes = Scratch.file("genotypes-sample.csv", Data(resistanceGenotypes.utf8))
        options.model = folder
        _ = try? Workspace().resist(options) { _ in }
    },
]
