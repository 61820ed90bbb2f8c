import Foundation
import Models

/// What `train text --recipe` and `train resistance --recipe` print: the recipe their defaults stand
/// for, why, every setting, and the ones changed from it. (`train image --recipe` chooses by the task:
/// `ImageRecipeReport`.)
public struct TrainingRecipeReport: Codable, Sendable, TextReport {
    /// The recipe's name and where it was measured.
    public var recipe: String, reason: String
    /// Every setting, by name, as JSON values written out.
    public var settings: [String: String]
    /// The settings that differ from the recipe's.
    public var changed: [String]

    /// The recipe settings of `settings` (any Encodable), compared with `recipe`'s.
    init<S: Encodable>(recipe name: String, reason: String, settings: S, recipe: S) throws {
        self.recipe = name
        self.reason = reason
        let now = try Self.flatten(settings), base = try Self.flatten(recipe)
        self.settings = now
        changed = now.keys.filter { now[$0] != base[$0] }.sorted()
    }

    /// The recipe and its reason, then the settings in name order.
    public var text: String {
        "recipe: \(recipe) (\(reason))\nsettings: "
            + settings.keys.sorted().map { "\($0) \(settings[$0] ?? "")" }.joined(separator: ", ") + "\n"
            + (changed.isEmpty ? "" : "changed from the recipe: \(changed.joined(separator: ", "))\n")
    }

    /// Each leaf of `value`'s JSON as "a.b" -> its text (strings as they are, other values as JSON).
    static func flatten<S: Encodable>(_ value: S) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(value), options: [.fragmentsAllowed])
        var out: [String: String] = [:]
        func walk(_ node: Any, _ path: String) {
            if let dictionary = node as? [String: Any] {
                for (key, child) in dictionary { walk(child, path.isEmpty ? key : path + "." + key) }
            } else if let text = node as? String {
                out[path] = text
            } else if let data = try? JSONSerialization.data(withJSONObject: node, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) {
                out[path] = String(decoding: data, as: UTF8.self)
            }
        }
        walk(object, "")
        return out
    }
}

extension Workspace {
    /// The recipe `train text` trains with and `options.settings` against it.
    public func textRecipe(_ options: TrainTextOptions) throws -> TrainingRecipeReport {
        try TrainingRecipeReport(
            recipe: "word CNN ensemble",
            reason: "three word-CNN members with hashed character 3-grams, each with its own validation split; "
                + "measured on Symptom2Disease by tools/bench/text and tools/bench/scope (README, case vignettes)",
            settings: options.settings, recipe: TextTrainer.Settings())
    }

    /// The recipe `train resistance` trains with and `options` against it.
    public func resistanceRecipe(_ options: TrainResistanceOptions) throws -> TrainingRecipeReport {
        struct Settings: Encodable { var arch: String, epochs: Int, minCount: Int, minFraction: Double, seed: UInt64 }
        func settings(_ o: TrainResistanceOptions) -> Settings {
            Settings(arch: o.arch, epochs: o.epochs, minCount: o.minCount, minFraction: o.minFraction, seed: o.seed)
        }
        return try TrainingRecipeReport(
            recipe: "wdnn+catalogue",
            reason: "a multitask wide-and-deep network that also reads the WHO 2023 catalogue's calls; the only variant "
                + "at least as good as wdnn on every drug in 5-fold cross-validation (tools/bench/tb-cv; README, TB)",
            settings: settings(options), recipe: settings(TrainResistanceOptions(output: options.output)))
    }
}
