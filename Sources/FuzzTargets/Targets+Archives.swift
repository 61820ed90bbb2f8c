import Archives
import Foundation
import Inputs

// gzip, tar, zip: under every `.gz`, `.tgz`, `.npz` Triage reads.

let archiveTargets: [FuzzTarget] = [
    FuzzTarget(name: "gzip", maxLength: 64 << 10,
               summary: "gzip and raw DEFLATE (Gzip.decompress, Inflate, InputFile.decode)") { data in
        _ = try? Gzip.decompress(data)
        _ = try? Inflate.decompress(data, format: .raw, sizeHint: 1 << 16)
        _ = try? InputFile.decode(data, name: "fuzz.gz")
        _ = Inflate.crc32(data)
    },
    FuzzTarget(name: "tar", maxLength: 64 << 10,
               summary: "tar and .tgz (TarArchive, and `mine` on a .tar and a .tgz)",
               setUp: loadLabeler) { data in
        var iterator = TarArchive(data: data, origin: "fuzz.tar").makeIterator()
        while let entry = try? iterator.nextEntry() { _ = (entry.name, entry.data.count) }
        if Gzip.isGzip(data), let plain = try? Gzip.decompress(data, maximumSize: 1 << 26) {
            _ = try? TarArchive(data: plain, origin: "fuzz.tgz").entries()
        }
        mine(Scratch.file(Gzip.isGzip(data) ? "fuzz.tgz" : "fuzz.tar", data))
    },
    FuzzTarget(name: "zip", maxLength: 64 << 10,
               summary: "zip (ZipArchive entries and contents, stored and deflated)") { data in
        guard let zip = try? ZipArchive(data: data, origin: "fuzz.zip") else { return }
        for entry in zip.entries { _ = try? zip.contents(of: entry) }
        if let first = zip.entries.first { _ = try? zip.contents(named: first.name) }
    },
]
