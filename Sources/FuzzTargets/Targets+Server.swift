import Foundation
import TriageKit

// HTTP request bodies: what `triage serve` reads from an upload before any reader sees a file.

let serverTargets: [FuzzTarget] = [
    FuzzTarget(name: "multipart", maxLength: 64 << 10,
               summary: "an upload's Content-Type (first line) and multipart/form-data body (Multipart.boundary and parts, as `serve` reads uploads)") { data in
        let bytes = [UInt8](data)
        let newline = bytes.firstIndex(of: 0x0A) ?? bytes.count
        guard let boundary = Multipart.boundary(of: String(decoding: bytes[..<newline], as: UTF8.self)) else { return }
        let body = Array(bytes[Swift.min(newline + 1, bytes.count)...])
        body.withUnsafeBytes { raw in
            try? Multipart.parts(of: raw, boundary: boundary) { name, filename, part in
                // Every part is a slice of the body, as the server stores it.
                let offset = raw.baseAddress.flatMap { base in part.baseAddress.map { base.distance(to: $0) } }
                guard part.isEmpty || offset.map({ $0 >= 0 && $0 + part.count <= raw.count }) == true else {
                    fatalError("multipart: a part of \(part.count) bytes lies outside the body of \(raw.count)")
                }
                _ = name.utf8.count + (filename?.utf8.count ?? 0)
            }
        }
    },
]
