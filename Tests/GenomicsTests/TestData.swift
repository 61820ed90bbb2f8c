import Foundation
import XCTest
@testable import Genomics

/// Locates `../shared/data/tb` relative to this source file, and caches the loaded reference.
enum TestData {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let tbDirectory = packageRoot.appendingPathComponent("../shared/data/tb").standardized.path

    /// The TB data folder, or a skip with a message when it is absent.
    static func tb() throws -> TBData {
        guard FileManager.default.fileExists(atPath: tbDirectory + "/H37Rv.fa.gz") else {
            throw XCTSkip("../shared/data/tb is absent; the real-data tests need it")
        }
        return TBData(directory: tbDirectory)
    }

    nonisolated(unsafe) private static var cachedReference: Reference?
    private static let lock = NSLock()

    /// H37Rv and its genes, loaded once per test process.
    static func reference() throws -> Reference {
        let data = try tb()
        lock.lock()
        defer { lock.unlock() }
        if let cachedReference { return cachedReference }
        let loaded = try Reference.load(data: data)
        cachedReference = loaded
        return loaded
    }
}
