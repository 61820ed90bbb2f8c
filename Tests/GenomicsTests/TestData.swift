import Foundation
import XCTest
@testable import Genomics
import TestSupport

/// The TB data of `../shared/data/tb` (through `TestPaths`), and the reference loaded once.
enum TestData {
    /// The TB data folder, or a skip with a message when it is absent.
    static func tb() throws -> TBData {
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        return TBData(directory: try TestPaths.shared("tb"))
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
