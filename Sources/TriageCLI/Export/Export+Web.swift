import ArgumentParser
import Corpus
import TriageKit

extension WebQuantization: ExpressibleByArgument {}

/// `triage export web`: a static folder that scores with the models in a browser, offline.
struct ExportWeb: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "web",
        abstract: "Write a static folder that runs text, image and TB resistance models in any browser or node, offline.",
        discussion: """
        The folder holds index.html (a vignette page, or an image picker for image models: open it \
        from disk, no server and no network needed; the model runs in a Web Worker), triage.js (the runtime, a JavaScript module: \
        `const m = await loadModel("FOLDER/MODEL")`, then `m.score(text, {top: 5})` gives \
        [{label, probability}] best first, and for an image model \
        `m.predictImage({width, height, channels, data})` gives {label: probability}, in node or a \
        browser), models.js (the models for the page opened from disk) and per model a folder \
        with model.json and weights.bin. With float32 weights the runtime's probabilities equal \
        `triage score`'s and `triage predict image`'s to 1e-5 relative, the smallest included. \
        An image model's convolutions run in a WebAssembly SIMD kernel built into triage.js (scalar \
        JavaScript where WebAssembly is not allowed). --quantize float16 halves \
        the weights, int8 quarters them; --check FILE (a CSV of labelled texts, or for image \
        models a MedMNIST .npz and its --split) then reports the accuracy of float32 and of the \
        quantised weights on it.

        A TB resistance model (`triage train resistance`, wdnn+catalogue or wdnn; not --arch cnn) \
        is exported with the reference facts naming variants needs, from --data: H37Rv (2 bits a \
        base, in weights.bin), the catalogue genes and the other annotated genes; its catalogue \
        travels in model.json. `m.resist(vcfText, {file})` then gives the objects `triage resist \
        --model MODEL --json` prints, and the page has a TB section: pick a .vcf or .vcf.gz.

        Example: triage export web --model models/s2d.safetensors --output s2d-offline --quantize int8 --check data/s2d_test.csv
        Example: triage export web --model models/pneumonia --output pneumonia-offline --quantize int8 --check pneumoniamnist.npz --split val
        """)

    @Option(name: .customLong("model"), help: ArgumentHelp("A text, image or TB resistance model (file, folder or registered name); repeat for several.", valueName: "model"))
    var models: [String] = []
    @Option(help: ArgumentHelp("The folder to write (files of the same names are replaced).", valueName: "dir"))
    var output: String
    @Option(help: ArgumentHelp("How the weights are stored: none (float32), float16 or int8.", valueName: "kind"))
    var quantize: WebQuantization = .none
    @Option(help: ArgumentHelp("With --quantize: a CSV of labelled texts, or a MedMNIST .npz for image models, to compare the accuracy of float32 and quantised weights on.", valueName: "file"))
    var check: String?
    @Option(help: ArgumentHelp("The split of an .npz --check.", valueName: "split"))
    var split: ImageSplit = .test
    @Option(help: ArgumentHelp("The --check CSV's text column.", valueName: "column"))
    var textColumn = "text"
    @Option(help: ArgumentHelp("The --check CSV's label column.", valueName: "column"))
    var labelColumn = "label"
    @Option(help: ArgumentHelp(
        "TB resistance models: the folder with H37Rv.fa.gz, gene_locations.csv and genome.gff.gz (default: $TRIAGE_TB_DATA, else data/tb, else ../shared/data/tb).",
        valueName: "dir"))
    var data: String?
    @Flag(help: "Print what was written as one JSON object.")
    var json = false
    @OptionGroup var corpus: CorpusOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("Give at least one --model, e.g. --model models/s2d.safetensors.") }
        guard !output.isEmpty else { throw ValidationError("--output must name a folder, e.g. --output s2d-offline.") }
        if check != nil && quantize == .none { throw ValidationError("--check compares quantised weights with float32: add --quantize float16 or int8.") }
    }

    func execute() throws {
        var options = ExportWebOptions(models: models, output: output)
        options.quantize = quantize
        options.check = check
        options.checkSplit = split
        options.textColumn = textColumn
        options.labelColumn = labelColumn
        options.tbData = data
        let console = Console.shared
        try console.print(try corpus.workspace.exportWeb(options, context: console.context()), json: json)
    }
}
