import ArgumentParser
import Foundation
import TriageKit

/// Where messages go: results on stdout, progress, warnings and errors on stderr.
final class Console: @unchecked Sendable {
    /// The process's console.
    static let shared = Console()

    /// Warnings printed before the rest are only counted (a bad archive can hold thousands).
    static let warningLimit = 50

    private let lock = NSLock()
    private var progressOpen = false
    private var warnings = 0
    private let stderrIsTerminal = isatty(STDERR_FILENO) != 0
    private var output = Data()

    // MARK: stderr

    /// Writes one line to stderr, prefixed with "error: ".
    func error(_ message: String) { line("error: \(message)") }

    /// Writes one line to stderr, prefixed with "warning: " (after `warningLimit`, only counted).
    func warning(_ message: String) {
        lock.lock()
        warnings += 1
        let count = warnings
        lock.unlock()
        if count <= Console.warningLimit { line("warning: \(message)") }
    }

    /// Writes a line of commentary to stderr.
    func note(_ message: String) { line(message) }

    /// Says how many warnings were not shown, if any.
    func finishWarnings() {
        lock.lock()
        let hidden = warnings - Console.warningLimit
        lock.unlock()
        if hidden > 0 { line("warning: \(hidden) more warning(s) not shown") }
    }

    /// A progress report: rewritten in place on a terminal, one line each otherwise.
    func progress(_ p: JobProgress) {
        var text = "\(p.stage): \(p.done)" + (p.total.map { "/\($0)" } ?? "") + " \(p.unit)"
        text += String(format: ", %.0f %@/s", p.rate, p.unit)
        if let remaining = p.remaining, p.done < (p.total ?? 0) { text += String(format: ", ETA %.0f s", remaining) }
        lock.lock()
        defer { lock.unlock() }
        if stderrIsTerminal {
            FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
            progressOpen = true
        } else {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// One epoch as a log line.
    func epoch(_ e: EpochProgress) {
        var line = (e.members > 1 ? "member \(e.member)/\(e.members) " : "") + String(format: "epoch %2d/%d  loss %.4f", e.epoch, e.epochs, e.loss)
        for key in ["loss", "accuracy", "auc"] {
            guard let value = e.validation[key] else { continue }
            line += String(format: "  val %@ %.4f", key == "auc" ? "AUC" : key == "accuracy" ? "acc" : key, value)
        }
        line += String(format: "  %.0f examples/s  %.1f s", e.examplesPerSecond, e.elapsed) + (e.best ? "  *" : "")
        note(line)
    }

    private func line(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        if progressOpen {
            FileHandle.standardError.write(Data("\n".utf8))
            progressOpen = false
        }
        FileHandle.standardError.write(Data("\(text)\n".utf8))
    }

    /// The job context of a command: events rendered here; `quiet` drops progress and epoch lines.
    func context(quiet: Bool = false, isCancelled: @escaping @Sendable () -> Bool = { false }) -> JobContext {
        JobContext(events: { [self] event in
            switch event {
            case .progress(let p): if !quiet { progress(p) }
            case .warning(let message): warning(message)
            case .note(let message): if !quiet { note(message) }
            case .epoch(let e): if !quiet { epoch(e) }
            }
        }, isCancelled: isCancelled)
    }

    // MARK: stdout

    /// Writes text to stdout (buffered; `flush` writes it).
    func write(_ text: String) {
        lock.lock()
        output.append(contentsOf: text.utf8)
        let full = output.count > 1 << 16
        lock.unlock()
        if full { flush() }
    }

    /// Writes bytes and a newline to stdout (buffered).
    func writeLine(_ data: Data) {
        lock.lock()
        output.append(data)
        output.append(0x0A)
        let full = output.count > 1 << 16
        lock.unlock()
        if full { flush() }
    }

    /// Encodes a value as one line of JSON with sorted keys.
    func json<T: Encodable>(_ value: T) throws {
        writeLine(try Console.encoder.encode(value))
    }

    /// Prints a result: its JSON with `--json`, else its text report.
    func print<T: Encodable & TextReport>(_ value: T, json: Bool) throws {
        if json { try self.json(value) } else { write(value.text) }
    }

    /// Writes what is buffered for stdout.
    func flush() {
        lock.lock()
        let data = output
        output.removeAll(keepingCapacity: true)
        lock.unlock()
        if !data.isEmpty { FileHandle.standardOutput.write(data) }
    }

    /// The JSON encoder of every command: sorted keys, slashes as written.
    static let encoder = JSONOutput.encoder()
}

/// A command that calls the application API: `execute` does the work, and `run` maps its errors
/// to messages and exit codes in one place — `TriageError.unusable` and any other error 2,
/// `.failed` 1 — and flushes stdout.
protocol JobCommand: ParsableCommand {
    /// Parses nothing more: calls the API and renders its result.
    func execute() throws
}

extension JobCommand {
    func run() throws {
        let console = Console.shared
        defer {
            console.flush()
            console.finishWarnings()
        }
        do {
            try execute()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as TriageError {
            console.flush()
            console.error(error.description)
            throw ExitCode(error.kind == .failed ? 1 : 2)
        } catch {
            console.flush()
            console.error("\(TriageError(error))")
            throw ExitCode(2)
        }
    }

    /// Exit 1 when `bad` inputs were skipped, unless `keepGoing`; says so first.
    func finish(bad: Int, keepGoing: Bool, _ message: @autoclosure () -> String) throws {
        guard bad > 0 else { return }
        Console.shared.note(message())
        if !keepGoing { throw ExitCode(1) }
    }
}
