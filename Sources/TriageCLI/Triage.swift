import ArgumentParser
import TriageKit

/// The root command: `triage <group> <command> ...`.
struct Triage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Turn medical archives into trained predictors on one machine.",
        discussion: """
        Mine weak labels from report archives into a SQLite corpus, train models on \
        the Triage engine, and score new cases. The corpus is triage.sqlite in the \
        working directory unless --db or TRIAGE_DB names another file.
        """,
        version: TriageKit.version,
        subcommands: [
            Mine.self, Labels.self, Codes.self, Import.self, Train.self, Score.self,
            Resist.self, TB.self, Images.self, Predict.self, Evaluate.self, DeidCommand.self, Context.self,
            CorpusGroup.self, ModelsGroup.self, Export.self, Serve.self, Bench.self, Worker.self, Jobs.self,
        ]
    )
}
