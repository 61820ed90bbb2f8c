import Archives
import Corpus
import Foundation
import Inputs

/// The formats `triage mine` reads.
public enum InputFormat: String, CaseIterable, Sendable, Codable {
    /// Detect from the file name and contents.
    case auto
    /// One report per file.
    case text
    /// CSV with a header; `--text-column`, `--id-column`.
    case csv
    /// Tab-separated, with a header.
    case tsv
    /// The CheXpert labeler's one-column CSV, no header (ids are row numbers).
    case chexpert
    /// MTSamples-style CSV (note_id, ..., transcription).
    case mtsamples
    /// Open-i / NLM XML report (one per file).
    case openi
}

/// A report as read from the input, before labelling.
public struct RawReport: Sendable {
    /// The report's id inside its source (uId, file name, id column, row number).
    public var externalId: String
    /// The text, as it will be stored.
    public var text: String
    /// report or note.
    public var kind: DocumentKind
    /// Where it came from (`file`, `archive:member`, `file:line`), for messages.
    public var origin: String
    /// Human MeSH tags, `major` ones prefixed `major:`, others `automatic:`.
    public var mesh: [String] = []
    /// Image ids linked to the report (Open-i `parentImage`).
    public var images: [String] = []
    /// ICD-10-CM codes as written in the input.
    public var codes: [String] = []
    /// The text before it was rewritten (de-identified), when the original is to be kept.
    public var original: String?
}

/// Options of the readers.
public struct ReaderOptions: Sendable {
    /// The format, or `.auto`.
    public var format: InputFormat = .auto
    /// The column holding the text (CSV/TSV).
    public var textColumn: String?
    /// The column holding the id (CSV/TSV).
    public var idColumn: String?
    /// The column holding ICD-10-CM codes separated by `;` or `,`.
    public var codesColumn: String?
    /// Reports longer than this many bytes are skipped with a warning.
    public var maxReportBytes = 1 << 20
    /// Whether a folder walk reads the files that symbolic links inside it point to.
    public var followSymlinks = false
    /// Archive members larger than this many bytes are skipped with a warning: an archive is read
    /// one member at a time, so this bounds the memory it takes.
    public var maxMemberBytes = 1 << 30
    public init() {}
}

/// A unit of work: bytes still to parse, or a report already read.
public enum WorkItem: Sendable {
    /// One Open-i XML file.
    case xml(origin: String, data: Data)
    /// A report read from text or CSV.
    case report(RawReport)
    /// Something unusable, with the message that says why.
    case bad(origin: String, message: String)
    /// Something read all the same that the user should hear about (a warning, not counted as bad).
    case note(origin: String, message: String)
}

/// Turns input paths (directories, files, .tgz/.tar.gz/.gz archives) into work items.
public struct ReportReader: Sendable {
    /// The options.
    public let options: ReaderOptions

    public init(options: ReaderOptions) { self.options = options }

    /// Calls `emit` with the work items of `path`, streaming; throws only when `path` itself cannot be read.
    public func read(path: String, emit: (WorkItem) throws -> Void) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InputError(file: path, "no such file or directory")
        }
        if isDirectory.boolValue {
            let (found, links) = try InputFile.walk(path)
            let join = { (relative: String) in (path as NSString).appendingPathComponent(relative) }
            var files = found.map(join)
            if options.followSymlinks {
                files = (files + links.map(join)).sorted()
            } else {
                for link in links.map(join) {
                    try emit(.bad(origin: link, message: "is a symbolic link, not followed (pass --follow-symlinks to read it)"))
                }
            }
            for file in files {
                do { try readFile(file, emit: emit) } catch let e as BadInput { try emit(.bad(origin: file, message: e.message)) }
                catch let e as InputError { try emit(.bad(origin: file, message: e.reason)) }
            }
        } else {
            try readFile(path, emit: emit)
        }
    }

    struct BadInput: Error { let message: String }

    func readFile(_ path: String, emit: (WorkItem) throws -> Void) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".tgz") || lower.hasSuffix(".tar.gz") || lower.hasSuffix(".tar") {
            // Streamed: one member in memory at a time, whatever the archive's size.
            let stream: ByteStream
            do { stream = try ByteStream(path: path) } catch let e as ArchiveError { throw InputError(file: path, e.reason) }
            var tar = TarStream(stream, origin: path, maximumMemberSize: options.maxMemberBytes)
            var read = 0
            while true {
                let member: TarStream.Member?
                do { member = try tar.next() } catch let e as ArchiveError {
                    // Members read so far were emitted; report where the archive breaks.
                    try emit(.bad(origin: path, message: e.reason + (read > 0 ? "; the \(read) members before the damage were read" : "")))
                    return
                }
                guard let member else {
                    if read == 0 { try emit(.note(origin: path, message: "the archive holds no members: no reports in it")) }
                    return
                }
                read += 1
                switch member {
                case .tooLarge(let name, let size):
                    try emit(.bad(origin: "\(path):\(name)", message: "is \(size) bytes, over the \(options.maxMemberBytes)-byte limit of an archive member; skipped"))
                case .link(let name):
                    try emit(.bad(origin: "\(path):\(name)", message: "is a link inside the archive; links are not followed"))
                case .file(let entry):
                    let name = (entry.name as NSString).lastPathComponent
                    if name.hasPrefix(".") || name.hasPrefix("._") { continue }
                    if let warning = entry.warning { try emit(.note(origin: "\(path):\(entry.name)", message: warning)) }
                    try items(origin: "\(path):\(entry.name)", name: entry.name, data: entry.data, emit: emit)
                }
            }
        } else {
            let data = try InputFile.read(path)  // gunzips .gz by magic
            var name = path
            if lower.hasSuffix(".gz") { name = String(path.dropLast(3)) }
            try items(origin: path, name: name, data: data, emit: emit)
        }
    }

    /// The format of a file from its name and first bytes.
    func detect(name: String, data: Data) -> InputFormat {
        if options.format != .auto { return options.format }
        let lower = name.lowercased()
        if lower.hasSuffix(".xml") { return .openi }
        if lower.hasSuffix(".tsv") { return .tsv }
        if lower.hasSuffix(".csv") {
            let head = String(decoding: data.prefix(4096), as: UTF8.self).lowercased()
            let firstLine = head.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
            if firstLine.contains("transcription") && firstLine.contains("note_id") || firstLine.hasPrefix("description,medical_specialty") {
                return .mtsamples
            }
            if options.textColumn == nil && !firstLine.contains(",") { return .chexpert }
            return .csv
        }
        if data.prefix(64).starts(with: Data("<?xml".utf8)) { return .openi }
        return .text
    }

    func items(origin: String, name: String, data: Data, emit: (WorkItem) throws -> Void) throws {
        switch detect(name: name, data: data) {
        case .openi:
            try emit(.xml(origin: origin, data: data))
        case .text, .auto:
            guard let text = String(validating: data, as: UTF8.self) else {
                let offset = firstInvalidUTF8(data)
                try emit(.bad(origin: origin, message: "not UTF-8 text (invalid byte at offset \(offset)); convert it with iconv"))
                return
            }
            if let nul = data.firstIndex(of: 0) {
                // Stored text would end at it while evidence offsets ran past it.
                try emit(.bad(origin: origin, message: "holds a NUL byte at offset \(nul - data.startIndex): not a text report"))
                return
            }
            let base = ((name as NSString).lastPathComponent as NSString).deletingPathExtension
            try emit(.report(RawReport(externalId: base, text: text, kind: .report, origin: origin)))
        case .csv, .tsv, .chexpert, .mtsamples:
            try table(origin: origin, data: data, format: detect(name: name, data: data), emit: emit)
        }
    }

    func table(origin: String, data: Data, format: InputFormat, emit: (WorkItem) throws -> Void) throws {
        let reader = CSVReader(origin: origin, delimiter: format == .tsv ? .tab : .comma)
        var rows: TableRows?
        var count = 0
        do {
            try reader.forEachRecord(in: data) { record in
                count += 1
                if rows == nil { rows = try TableRows(first: record, format: format, origin: origin, options: options) }
                try rows?.emit(record, number: count, emit: emit)
            }
        } catch let e as InputError {
            try emit(.bad(origin: "\(e.file):\(e.line ?? 1)", message: e.reason))
            return
        }
        if rows == nil { try emit(.bad(origin: origin, message: "the file has no records")) }
        else if let rows, rows.header != nil || rows.skipFirst, count == 1 {
            try emit(.bad(origin: origin, message: "the file has a header but no rows"))
        }
    }

    /// How the records of one CSV/TSV input become reports: which columns, and the header row, if any.
    struct TableRows {
        let origin: String
        let format: InputFormat
        /// The header (nil for the CheXpert labeler's headerless one-column files).
        let header: CSVHeader?
        /// True when the CheXpert file's first row is a "Reports" heading.
        let skipFirst: Bool
        let textIndex: Int, idIndex: Int?, codesIndex: Int?
        let kind: DocumentKind

        init(first: CSVRecord, format: InputFormat, origin: String, options: ReaderOptions) throws {
            self.origin = origin
            self.format = format
            if format == .chexpert {
                // The labeler's input: one report per row, no header; a "Reports" header is skipped.
                header = nil
                skipFirst = first.fields.count == 1 && ["reports", "report", "text"].contains(first.fields[0].lowercased())
                (textIndex, idIndex, codesIndex, kind) = (0, nil, nil, .report)
                return
            }
            let header = CSVHeader(names: first.fields, file: origin, line: first.line)
            func column(_ wanted: String?, defaults: [String], option: String) throws -> Int? {
                if let wanted { return try header.index(of: wanted, option: option) }
                guard let found = defaults.lazy.compactMap({ d in header.names.firstIndex { $0.lowercased() == d } }).first else { return nil }
                return try header.index(of: header.names[found], option: option)
            }
            let text = try column(options.textColumn, defaults: ["transcription", "report", "reports", "text", "findings", "note"],
                                  option: "the text column")
            guard let text else {
                throw InputError(file: origin, line: first.line,
                                 "which column holds the text? name the text column (columns: \(header.names.joined(separator: ", ")))")
            }
            self.header = header
            skipFirst = true
            textIndex = text
            idIndex = try column(options.idColumn, defaults: ["note_id", "id", "report_id", "filename", "uid"], option: "the id column")
            codesIndex = try column(options.codesColumn, defaults: [], option: "the codes column")
            kind = format == .mtsamples || codesIndex != nil ? .note : .report
        }

        /// Emits record `number` (1-based, counting the first record) as a report, or as a bad item that says why.
        func emit(_ r: CSVRecord, number: Int, emit: (WorkItem) throws -> Void) throws {
            if number == 1 && skipFirst { return }
            let at = "\(origin):\(r.line)"
            if r.hasInvalidUTF8 {
                try emit(.bad(origin: at, message: "not UTF-8 text (invalid bytes or a NUL byte); convert it with iconv"))
                return
            }
            guard let header else {
                let id = String(skipFirst ? number - 1 : number)
                try emit(.report(RawReport(externalId: id, text: r.fields.first ?? "", kind: .report, origin: at)))
                return
            }
            guard r.fields.count == header.names.count else {
                try emit(.bad(origin: at, message: header.fieldCountError(r.fields.count, line: r.line).reason))
                return
            }
            let id = idIndex.map { r.fields[$0].trimmingSpaces() } ?? String(r.line)
            guard !id.isEmpty else {
                try emit(.bad(origin: at, message: "the id column is empty"))
                return
            }
            var report = RawReport(externalId: id, text: r.fields[textIndex], kind: kind, origin: at)
            if let codesIndex {
                report.codes = r.fields[codesIndex].split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " || $0 == "|" })
                    .map(String.init)
            }
            try emit(.report(report))
        }
    }

    func firstInvalidUTF8(_ data: Data) -> Int {
        let bytes = [UInt8](data)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let len = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            if len == 0 || i + len > bytes.count { return i }
            for k in 1..<len where bytes[i + k] >> 6 != 0b10 { return i }
            i += len
        }
        return i
    }

    /// `s` without leading and trailing ASCII whitespace (a UTF-8 scan; Foundation's trimming is slow).
    static func trimmed(_ s: String) -> String {
        let u = s.utf8
        func space(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 }
        guard let first = u.firstIndex(where: { !space($0) }), let last = u.lastIndex(where: { !space($0) }) else { return "" }
        if first == u.startIndex && last == u.index(before: u.endIndex) { return s }
        return String(s[first...last])
    }

    /// Parses one Open-i XML report: uId, the AbstractText sections, MeSH tags, parentImage ids.
    ///
    /// The stored text is `LABEL: text` per section, one per line, so the section
    /// finder sees the same headings as in any plain-text report.
    public static func openi(origin: String, data: Data) throws -> RawReport {
        let doc = try XMLDocument(data: data, origin: origin)
        // One XPath evaluation (a union, in document order) instead of one per field: half the cost.
        let nodes = doc.xpath("/eCitation/uId/@id | /eCitation/MedlineCitation/Article/Abstract/AbstractText"
                              + " | /eCitation/MeSH/* | /eCitation/parentImage/@id")
        var uid = ""
        var text = ""
        var mesh: [String] = []
        var images: [String] = []
        for node in nodes {
            switch node.name {
            case "AbstractText":
                let body = ReportReader.trimmed(node.text)
                if !body.isEmpty { text += "\(node.attribute("Label") ?? "TEXT"): \(body)\n" }
            case "id":
                if node.parentName == "uId" { uid = node.text } else { images.append(node.text) }
            default:
                let tag = ReportReader.trimmed(node.text)
                if !tag.isEmpty { mesh.append("\(node.name):\(tag)") }
            }
        }
        guard !uid.isEmpty else {
            throw BadInput(message: "no /eCitation/uId/@id: not an Open-i report")
        }
        var report = RawReport(externalId: uid, text: text, kind: .report, origin: origin)
        report.mesh = mesh
        report.images = images.filter { !$0.isEmpty }
        return report
    }
}
