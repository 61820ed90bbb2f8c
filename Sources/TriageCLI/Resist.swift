import ArgumentParser

/// `triage resist`: Predict TB drug resistance from VCF or FASTA files.
struct Resist: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resist",
        abstract: "Predict TB drug resistance from VCF or FASTA files. (not built yet: issue 6)")

    func run() throws { try NotBuiltYet.fail("resist", issue: 6) }
}
