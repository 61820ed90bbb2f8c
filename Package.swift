// swift-tools-version: 6.1
import Foundation
import PackageDescription

// One target per concern; dependencies point one way:
// Statistics (every metric, no dependencies) <- Neural, Mining, Genomics, Models;
// CBLAS, CNeuralKernels <- Neural (the engine, its one training loop `Trainer.fit`) <- Models;
// Neural <- EngineBench (the engine's throughput and sgemm benchmarks, `triage bench`);
// CZlib <- Archives (gzip, tar, zip over bytes) <- Inputs (files or stdin, gzip or plain; CSV/TSV);
// CLibXML2, CPNG: one importing file each in Mining, Vision; Inputs <- Deid (de-identification of notes);
// Corpus (the only GRDB user; CorpusPostgres, the only PostgresNIO user, is its server backend), Inputs <- Mining, Genomics, Vision <- Models <- TriageKit (the application API)
// <- TriageServer (`triage serve` on Hummingbird: pages and JSON API) <- TriageCLI (executable `triage`);
// FuzzTargets (a fuzz target per parser and loader) <- TriageFuzz (libFuzzer, only with TRIAGE_FUZZ=1)
// and FuzzRegressionTests; TestSupport serves every test target.
let package = Package(
    name: "Triage",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "triage", targets: ["TriageCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // The web server of `triage serve` (its own target, so the rest builds without it).
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // The PostgreSQL corpus backend (`--db postgres://...`): its own target, CorpusPostgres.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // TLS to the PostgreSQL server (`?sslmode=`): the version postgres-nio already builds.
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0",
                       providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // The DICOM codecs over Debian's libraries (libjpeg-turbo, GDCM's IJG builds for 12-bit and lossless
        // JPEG, CharLS, OpenJPEG): C files, one per library, imported by Vision's DICOMCodecs.swift only.
        .target(name: "CDICOMCodecs", path: "Sources/CDICOMCodecs", linkerSettings: [
            .linkedLibrary("jpeg"), .linkedLibrary("gdcmjpeg8"), .linkedLibrary("gdcmjpeg12"), .linkedLibrary("gdcmjpeg16"),
            .linkedLibrary("charls"), .linkedLibrary("openjp2"),
        ]),
        .target(name: "Statistics", exclude: ["README.md"]),
        .target(name: "Archives", dependencies: ["CZlib"]),
        .target(name: "Inputs", dependencies: ["Archives"], exclude: ["README.md"]),
        // Element-wise kernels of Neural in C, compiled for AVX-512, AVX2 and baseline (target_clones).
        .target(name: "CNeuralKernels", path: "Sources/CNeuralKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "Neural", dependencies: ["CBLAS", "CNeuralKernels", "Statistics"], exclude: ["README.md"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        .target(name: "EngineBench", dependencies: ["Neural"], exclude: ["README.md"]),
        .target(name: "Corpus", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // The corpus on a PostgreSQL server (the only PostgresNIO user), registered with Corpus by TriageKit.
        .target(name: "CorpusPostgres", dependencies: ["Corpus", .product(name: "PostgresNIO", package: "postgres-nio"),
                                                      .product(name: "NIOSSL", package: "swift-nio-ssl")]),
        .target(name: "Mining", dependencies: ["Corpus", "CLibXML2", "Archives", "Inputs", "Statistics"]),
        // De-identification of notes (rules and lexicons in corpora/deid): names, dates, numbers, places.
        .target(name: "Deid", dependencies: ["Inputs"], exclude: ["README.md"]),
        .target(name: "Genomics", dependencies: ["Corpus", "Archives", "Inputs", "Statistics"], exclude: ["README.md"]),
        .target(name: "Vision", dependencies: ["Corpus", "Archives", "Inputs", "CPNG", "CDICOMCodecs"]),
        .target(name: "Models", dependencies: ["Neural", "Statistics", "Corpus", "Inputs", "Mining", "Genomics", "Vision"]),
        .target(name: "TriageKit", dependencies: ["Models", "Neural", "Statistics", "Corpus", "CorpusPostgres", "Inputs", "Mining", "Deid", "Genomics", "Vision", "Archives"],
                // The offline runtime and page of `export web`, compiled into the binary (no bundle to find at run time);
                // Web/wasm is the C source of the runtime's WebAssembly kernel, built by tools/build-wasm into triage.js.
                exclude: ["Web/wasm"],
                resources: [.embedInCode("Web/triage.js"), .embedInCode("Web/index.html")]),
        .target(name: "TriageServer", dependencies: [
            "TriageKit", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Assets")]),
        .executableTarget(name: "TriageCLI", dependencies: [
            "TriageKit", "TriageServer", "EngineBench", "Models", "Neural", "Corpus", "Mining", "Deid", "Genomics", "Vision",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "StatisticsTests", dependencies: ["Statistics", "TestSupport"]),
        .testTarget(name: "ArchivesTests", dependencies: ["Archives", "TestSupport"]),
        .testTarget(name: "InputsTests", dependencies: ["Inputs", "TestSupport"]),
        .testTarget(name: "NeuralTests", dependencies: ["Neural", "TestSupport"]),
        .testTarget(name: "CorpusTests", dependencies: ["Corpus", "CorpusPostgres", "TestSupport"]),
        .testTarget(name: "MiningTests", dependencies: ["Mining", "Inputs", "TestSupport"]),
        .testTarget(name: "DeidTests", dependencies: ["Deid", "Inputs", "TestSupport"]),
        .testTarget(name: "GenomicsTests", dependencies: ["Genomics", "Archives", "TestSupport"]),
        .testTarget(name: "VisionTests", dependencies: ["Vision", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Statistics", "Inputs", "TestSupport"]),
        .testTarget(name: "TriageCLITests", dependencies: ["TriageCLI", "Corpus", "TestSupport"], exclude: ["Help"]),
        .testTarget(name: "TriageKitTests", dependencies: ["TriageKit", "CorpusPostgres", "Archives", "TestSupport"]),
        .testTarget(name: "TriageServerTests", dependencies: ["TriageServer", "TriageKit", "Models", "Genomics", "Archives", "TestSupport",
                                                             .product(name: "Hummingbird", package: "hummingbird")]),
        // The fuzz targets (one per parser and loader): run by the libFuzzer binary of tools/fuzz, and
        // by FuzzRegressionTests on every committed crasher and seed.
        .target(name: "FuzzTargets", dependencies: ["Archives", "Inputs", "Mining", "Deid", "Genomics", "Vision", "Neural", "Models", "TriageKit"],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets", "TestSupport"]),
        // Shared by every test target: where the data is, temporary corpora, the one assertClose.
        .target(name: "TestSupport", dependencies: ["Corpus"], path: "Tests/TestSupport"),
    ]
)

// The libFuzzer targets (tools/fuzz, Tests/Fuzz/README.md): declared only when TRIAGE_FUZZ=1, so that
// `swift build` and `swift test` never build them; tools/fuzz builds them with
// libFuzzer and AddressSanitizer in its own scratch path (.build-fuzz).
if ProcessInfo.processInfo.environment["TRIAGE_FUZZ"] == "1" {
    package.targets.append(.target(name: "CTriageFuzz", path: "Sources/CTriageFuzz"))
    package.targets.append(.executableTarget(
        name: "TriageFuzz",
        dependencies: ["CTriageFuzz", "FuzzTargets", "Statistics"],
        swiftSettings: [.unsafeFlags(["-parse-as-library"]), .swiftLanguageMode(.v5)]))
    package.products.append(.executable(name: "TriageFuzz", targets: ["TriageFuzz"]))
}
