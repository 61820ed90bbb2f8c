import Foundation

/// Sequencing reads or an alignment: what `ReadsPipeline` turns into a VCF.
public enum ReadsInput: Sendable, Equatable {
    /// FASTQ files (gzip or plain): one single-end or long-read file, or an Illumina pair.
    case fastq([String])
    /// A BAM or CRAM file aligned to H37Rv (any contig name of H37Rv's length).
    case alignment(String)

    /// The input's files.
    public var files: [String] {
        switch self {
        case .fastq(let files): return files
        case .alignment(let file): return [file]
        }
    }

    /// The sample name: the file name without directories, extensions and a mate suffix (_1, _R1, .1).
    public var sampleName: String {
        var name = ((files.first ?? "") as NSString).lastPathComponent
        for ext in [".gz", ".fastq", ".fq", ".bam", ".cram"] where name.lowercased().hasSuffix(ext) {
            name = String(name.dropLast(ext.count))
        }
        if case .fastq(let reads) = self, reads.count == 2 {
            for mate in ["_R1", "_1", ".1", "_R1_001"] where name.hasSuffix(mate) {
                name = String(name.dropLast(mate.count))
                break
            }
        }
        return name.isEmpty ? (files.first ?? "reads") : name
    }

    /// True for a FASTQ file name (.fastq, .fq, gzip or not).
    public static func isFASTQ(_ path: String) -> Bool {
        let name = path.lowercased()
        return [".fastq", ".fq", ".fastq.gz", ".fq.gz"].contains { name.hasSuffix($0) }
    }

    /// True for a BAM or CRAM file name.
    public static func isAlignment(_ path: String) -> Bool {
        let name = path.lowercased()
        return name.hasSuffix(".bam") || name.hasSuffix(".cram")
    }

    /// True when `b` is the second mate of `a`: the names differ only in 1 -> 2 in a mate marker.
    public static func areMates(_ a: String, _ b: String) -> Bool {
        for (one, two) in [("_R1", "_R2"), ("_1.", "_2."), (".1.", ".2."), ("_R1_", "_R2_")] {
            if let range = a.range(of: one, options: .backwards), a.replacingCharacters(in: range, with: two) == b { return true }
        }
        return false
    }
}

/// Calls variants from reads with Debian's tools, streaming: `minimap2 -a` against H37Rv (or an
/// aligned BAM/CRAM), `samtools sort`, `bcftools mpileup -a AD,DP` over the resistance loci and the
/// barcode sites only, `bcftools call -m -A --ploidy 1`, then GT dropped so that allele fractions come
/// from AD (a minor variant keeps its fraction instead of being called away by a haploid genotype).
///
/// The VCF is filtered as it streams in: records under `minimumDepth` reads go, and so do sites
/// without an ALT allele at `minimumFraction` or more, except at barcode sites (the lineage needs the
/// reference-like ones too). What remains is small (a few thousand lines) and is what `SampleReader`
/// reads. Everything the tools need (the reference with its index, the regions, sort spill files,
/// their messages) lives in a private temporary folder removed on return.
public struct ReadsPipeline: Sendable {
    /// The sequencing platform: minimap2's preset and bcftools' profile follow it.
    public enum Platform: String, Codable, Sendable, CaseIterable {
        case illumina, nanopore
    }

    /// The tools, in order of use.
    public static let tools = ["minimap2", "samtools", "bcftools"]
    /// What installs them on Debian and Ubuntu.
    public static let installHint = "apt install minimap2 samtools bcftools"

    /// Illumina (paired or single) or nanopore reads.
    public var platform = Platform.illumina
    /// Threads for minimap2 and samtools sort.
    public var threads = 2
    /// Sites with fewer reads are dropped (TB-Profiler's --depth default 10).
    public var minimumDepth = 10
    /// Sites whose ALT alleles all have a smaller fraction of the reads are dropped.
    public var minimumFraction = 0.1
    /// The environment whose PATH is searched for the tools.
    public var environment: [String: String]

    /// A pipeline with TB-Profiler's default depth and fraction floors.
    public init(platform: Platform = .illumina, threads: Int = 2, minimumDepth: Int = 10, minimumFraction: Double = 0.1,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.platform = platform
        self.threads = max(1, threads)
        self.minimumDepth = minimumDepth
        self.minimumFraction = minimumFraction
        self.environment = environment
    }

    /// The tools' paths, or an error naming every missing one and the package to install.
    public func locateTools() throws -> [String: String] {
        let directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        var found: [String: String] = [:]
        for tool in Self.tools {
            for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + tool) {
                found[tool] = directory + "/" + tool
                break
            }
        }
        let missing = Self.tools.filter { found[$0] == nil }
        guard missing.isEmpty else {
            throw GenomicsError("""
                reads need \(Self.tools.joined(separator: ", ")) on PATH; not found: \(missing.joined(separator: ", ")) \
                (Debian/Ubuntu: \(Self.installHint); tools/setup installs them)
                """)
        }
        return found
    }

    /// What the pipeline gives for one sample: the filtered VCF and the depth over the resistance loci.
    public struct Result: Sendable {
        /// The VCF (bytes) over the resistance loci and barcode sites, filtered as the type describes.
        public var vcf: [UInt8]
        /// The read depth at every base of the loci (from every pileup record, filtered or not).
        public var depth: DepthTrack
    }

    /// The VCF of `input` on H37Rv over `reader`'s resistance loci and barcode sites, and the depth over the loci.
    /// `progress` hears, about once a second, how many bytes of the first input file the first tool
    /// has read and the file's size (Linux: from /proc; nothing elsewhere).
    public func call(_ input: ReadsInput, reader: SampleReader,
                     progress: ((_ read: Int, _ size: Int) -> Void)? = nil) throws -> Result {
        let tools = try locateTools()
        for file in input.files where !FileManager.default.isReadableFile(atPath: file) {
            throw GenomicsError(file: file, "cannot be read (no such file, or no permission)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-reads-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }

        var contig = Reference.accession
        var alignmentIsSorted = true
        if case .alignment(let file) = input {
            let header = try Self.run([tools["samtools"]!, "view", "-H", file], folder: folder, label: "samtools view -H")
            (contig, alignmentIsSorted) = try Self.h37rvContig(header: header, file: file)
        }
        // The reference under the alignment's contig name, with its index (bcftools needs both).
        let reference = folder + "/H37Rv.fa"
        var fasta = Array(">\(contig)\n".utf8)
        let sequence = reader.annotator.reference.sequence
        fasta.reserveCapacity(sequence.count + sequence.count / 80 + 64)
        var start = 0
        while start < sequence.count {
            fasta += sequence[start..<min(start + 80, sequence.count)]
            fasta.append(0x0A)
            start += 80
        }
        try Data(fasta).write(to: URL(fileURLWithPath: reference))
        _ = try Self.run([tools["samtools"]!, "faidx", reference], folder: folder, label: "samtools faidx")
        let regions = folder + "/regions.bed"
        try Data(Self.regionsBED(reader: reader, contig: contig).utf8).write(to: URL(fileURLWithPath: regions))

        let sortThreads = String(max(1, threads - 1))
        var stages: [[String]] = []
        switch input {
        case .fastq(let reads):
            stages.append([tools["minimap2"]!, "-a", "-x", platform == .nanopore ? "map-ont" : "sr", "-t", String(threads), reference] + reads)
            stages.append([tools["samtools"]!, "sort", "-@", sortThreads, "-T", folder + "/sort", "-u", "-"])
        case .alignment(let file):
            if !alignmentIsSorted {
                stages.append([tools["samtools"]!, "sort", "-@", sortThreads, "-T", folder + "/sort", "-u",
                               "--reference", reference, file])
            }
        }
        var mpileup = [tools["bcftools"]!, "mpileup", "-f", reference, "-T", regions, "-a", "AD,DP", "-d", "10000", "-Ou"]
        if platform == .nanopore { mpileup += ["-X", "ont"] }
        if case .alignment(let file) = input, alignmentIsSorted { mpileup.append(file) } else { mpileup.append("-") }
        stages.append(mpileup)
        stages.append([tools["bcftools"]!, "call", "-m", "-A", "--ploidy", "1", "-Ou"])
        stages.append([tools["bcftools"]!, "annotate", "-x", "FORMAT/GT,FORMAT/PL", "-Ov"])

        var filter = VCFStreamFilter(minimumDepth: minimumDepth, minimumFraction: minimumFraction,
                                     keep: reader.barcode?.positions ?? [], depth: DepthTrack(regions: reader.regions))
        let watched = input.files.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        try Self.stream(stages, folder: folder, watch: watched.flatMap { file in progress.map { (file, $0) } }) { chunk in
            filter.add(chunk)
        }
        let vcf = filter.finish()
        return Result(vcf: vcf, depth: filter.depth)
    }

    /// The catalogue loci and the barcode sites as BED lines on `contig`.
    static func regionsBED(reader: SampleReader, contig: String) -> String {
        var out = ""
        for r in reader.regions { out += "\(contig)\t\(r.lowerBound - 1)\t\(r.upperBound)\n" }
        for p in (reader.barcode?.positions ?? []).sorted() where !reader.inRegion(p) { out += "\(contig)\t\(p - 1)\t\(p)\n" }
        return out
    }

    /// The contig of H37Rv's length in a SAM header, and whether the file is coordinate-sorted.
    package static func h37rvContig(header: Data, file: String) throws -> (String, Bool) {
        let text = String(decoding: header, as: UTF8.self)
        var sorted = false
        var contigs: [(String, Int)] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t")
            if line.hasPrefix("@HD") { sorted = fields.contains("SO:coordinate") }
            if line.hasPrefix("@SQ"),
               let name = fields.first(where: { $0.hasPrefix("SN:") })?.dropFirst(3),
               let length = fields.first(where: { $0.hasPrefix("LN:") }).flatMap({ Int($0.dropFirst(3)) }) {
                contigs.append((String(name), length))
            }
        }
        guard let match = contigs.first(where: { $0.1 == Reference.genomeLength }) else {
            let listed = contigs.prefix(5).map { "\($0.0) (\($0.1) bp)" }.joined(separator: ", ")
            throw GenomicsError(file: file, "not aligned to H37Rv (\(Reference.genomeLength) bp): its contigs are \(listed.isEmpty ? "not listed" : listed); align the reads to H37Rv, or give the FASTQ files")
        }
        return (match.0, sorted)
    }

    /// Runs one command to completion and returns its output; an error quotes its messages.
    static func run(_ command: [String], folder: String, label: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let output = Pipe()
        let log = folder + "/\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GenomicsError("\(label) failed (exit \(process.terminationStatus)): \(tail(log))")
        }
        return data
    }

    /// Runs `stages` as one pipe (each reads the previous one's output), handing the last one's
    /// output to `consume` as it arrives; an error names the first stage that failed, with its messages.
    static func stream(_ stages: [[String]], folder: String, watch: (file: String, report: (Int, Int) -> Void)? = nil,
                       consume: (Data) throws -> Void) throws {
        var processes: [Process] = []
        var logs: [String] = []
        var input: Any = FileHandle.nullDevice
        var last: Pipe?
        for (i, command) in stages.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardInput = input
            let pipe = Pipe()
            process.standardOutput = pipe
            let log = folder + "/stage\(i).log"
            FileManager.default.createFile(atPath: log, contents: nil)
            process.standardError = FileHandle(forWritingAtPath: log)
            do { try process.run() } catch {
                for p in processes where p.isRunning { p.terminate() }
                throw GenomicsError("could not start \(command[0]): \(error)")
            }
            // The parent's copy of the write end must close, or the next stage never sees the end.
            try? pipe.fileHandleForWriting.close()
            if let previous = input as? Pipe { try? previous.fileHandleForReading.close() }
            processes.append(process)
            logs.append(log)
            input = pipe
            last = pipe
        }
        var failure: Error?
        let watcher = watch.flatMap { w in processes.first.map { InputWatcher(pid: $0.processIdentifier, file: w.file, report: w.report) } }
        watcher?.start()
        defer { watcher?.stop() }
        if let reader = last?.fileHandleForReading {
            do {
                while let chunk = try reader.read(upToCount: 1 << 16), !chunk.isEmpty { try consume(chunk) }
            } catch {
                failure = error
                for p in processes where p.isRunning { p.terminate() }
            }
        }
        for p in processes { p.waitUntilExit() }
        // A stage killed by SIGPIPE only saw its reader stop: report the stage that stopped first.
        let failed = processes.indices.filter { processes[$0].terminationStatus != 0 }
        let cause = failed.first { !(processes[$0].terminationReason == .uncaughtSignal && processes[$0].terminationStatus == SIGPIPE) }
            ?? failed.first
        if let cause {
            let name = ([(stages[cause][0] as NSString).lastPathComponent] + stages[cause].dropFirst().prefix(1)).joined(separator: " ")
            throw GenomicsError("\(name) failed (exit \(processes[cause].terminationStatus)): \(tail(logs[cause]))")
        }
        if let failure { throw failure }
    }

    /// The last lines of a tool's messages.
    static func tail(_ log: String) -> String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(4)
        return lines.isEmpty ? "no message" : lines.joined(separator: " | ")
    }
}

/// Reports, about once a second on its own thread, how far a process has read a file: the `pos` of
/// the process's descriptor open on it (`/proc/PID/fdinfo`), against the file's size. Once the process
/// has closed the file, the whole file counts as read. Quiet where /proc is missing.
final class InputWatcher: @unchecked Sendable {
    let pid: Int32
    let file: String
    let size: Int
    let report: (Int, Int) -> Void
    private let lock = NSLock()
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)

    init(pid: Int32, file: String, report: @escaping (Int, Int) -> Void) {
        self.pid = pid
        self.file = file
        self.size = ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0
        self.report = report
    }

    func start() {
        guard size > 0, FileManager.default.fileExists(atPath: "/proc/\(pid)/fd") else { finished.signal(); return }
        Thread.detachNewThread { [self] in
            var seen = false
            while !isStopped {
                Thread.sleep(forTimeInterval: 1)
                if isStopped { break }
                if let position = Self.position(pid: pid, file: file) {
                    seen = true
                    report(min(position, size), size)
                } else if seen {
                    report(size, size)
                    break
                }
            }
            finished.signal()
        }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Stops the thread and waits for it, so that no report comes after the caller has moved on.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        finished.wait()
    }

    /// The read offset of `pid`'s descriptor open on `file`, if it has one.
    static func position(pid: Int32, file: String) -> Int? {
        let folder = "/proc/\(pid)/fd"
        guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        for fd in descriptors {
            guard (try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + fd)) == file,
                  let info = try? String(contentsOfFile: "/proc/\(pid)/fdinfo/\(fd)", encoding: .utf8) else { continue }
            for line in info.split(separator: "\n") where line.hasPrefix("pos:") {
                return Int(line.dropFirst(4).trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }
}

/// Filters a VCF as it streams in: drops records with too few reads, and those with no ALT allele at
/// the fraction floor unless their position is to be kept (the barcode sites). Every record's depth,
/// kept or not, goes into `depth` (the pileup has a record for every base a read covers).
package struct VCFStreamFilter {
    let minimumDepth: Int
    let minimumFraction: Double
    let keep: Set<Int>
    package private(set) var depth: DepthTrack
    private var pending: [UInt8] = []
    /// How much of `pending` is known to hold no line end (a long line is searched once, not on every chunk).
    private var scanned = 0
    private var output: [UInt8] = []

    package init(minimumDepth: Int, minimumFraction: Double, keep: Set<Int>, depth: DepthTrack = DepthTrack(regions: [])) {
        self.minimumDepth = minimumDepth
        self.minimumFraction = minimumFraction
        self.keep = keep
        self.depth = depth
    }

    /// Takes the next bytes of the VCF.
    package mutating func add(_ chunk: Data) {
        pending += chunk
        var start = 0
        while let end = pending[Swift.max(start, scanned)...].firstIndex(of: 0x0A) {
            let line = pending[start..<end]
            if Self.keeps(line, minimumDepth: minimumDepth, minimumFraction: minimumFraction, positions: keep, depth: &depth) {
                output += line
                output.append(0x0A)
            }
            start = end + 1
        }
        pending.removeFirst(start)
        scanned = pending.count
    }

    /// The kept VCF.
    package mutating func finish() -> [UInt8] {
        if !pending.isEmpty, Self.keeps(pending[...], minimumDepth: minimumDepth, minimumFraction: minimumFraction, positions: keep,
                                        depth: &depth) {
            output += pending
            output.append(0x0A)
        }
        pending = []
        scanned = 0
        return output
    }

    /// Whether a line stays: headers always; a record when its depth (FORMAT DP, else the sum of AD)
    /// reaches the floor and it has an ALT allele at the fraction floor or its position is kept.
    static func keeps(_ line: ArraySlice<UInt8>, minimumDepth: Int, minimumFraction: Double, positions: Set<Int>,
                      depth track: inout DepthTrack) -> Bool {
        guard let first = line.first, first != UInt8(ascii: "#") else { return true }
        let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
        guard fields.count >= 10, let position = Int(String(decoding: fields[1], as: UTF8.self)) else { return true }
        let keys = fields[8].split(separator: UInt8(ascii: ":")).map { String(decoding: $0, as: UTF8.self) }
        let values = fields[9].split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        func value(_ key: String) -> String? {
            guard let i = keys.firstIndex(of: key), i < values.count else { return nil }
            return String(decoding: values[i], as: UTF8.self)
        }
        // Read counts; a value that is not one (negative, or past the VCF reader's largest depth, so
        // that the sum cannot overflow) counts as none.
        let ad = value("AD")?.split(separator: ",").map { Int($0).flatMap { (0...VCF.maximumDepth).contains($0) ? $0 : nil } ?? 0 } ?? []
        let depth = value("DP").flatMap { Int($0) } ?? ad.reduce(0, +)
        track.record(position, depth: depth)
        guard depth >= minimumDepth else { return false }
        if positions.contains(position) { return true }
        let total = ad.reduce(0, +)
        guard total > 0, fields[4].elementsEqual(".".utf8) == false else { return false }
        return ad.dropFirst().contains { Double($0) / Double(total) >= minimumFraction }
    }
}
