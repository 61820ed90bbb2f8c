import Archives
import Foundation

/// The one place Genomics reaches the Archives target (gzip by magic bytes).
enum DataFileBridge {
    /// The bytes of a file, gunzipped when they are gzip.
    static func read(_ path: String) throws -> Data { try DataFile.read(path) }
    /// `data` gunzipped when it is gzip, else unchanged.
    static func decode(_ data: Data) throws -> Data {
        Gzip.isGzip(data) ? try Gzip.decompress(data) : data
    }
}
