import ArgumentParser

/// What a command group that is not built yet answers: which issue builds it.
enum NotBuiltYet {
    static func fail(_ group: String, issue: Int) throws -> Never {
        Console.error("`triage \(group)` is not built yet (issue \(issue)); see README.md for what works now.")
        throw ExitCode(3)
    }
}
