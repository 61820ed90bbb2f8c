import Mining

/// Which labelling scheme, and where its rules are.
public struct RulesOptions: Codable, Sendable, Hashable {
    /// The scheme: a folder of the rules folder (chestxray14, chexpert).
    public var scheme = "chestxray14"
    /// The rules folder (nil: `$TRIAGE_RULES`, else `corpora/rules` found from the working directory).
    public var folder: String?

    /// The default scheme and rules folder.
    public init(scheme: String = "chestxray14", folder: String? = nil) {
        self.scheme = scheme
        self.folder = folder
    }

    /// The rules folder, or an error that says how to point at one.
    public func rulesFolder() throws -> String {
        guard let found = RuleSet.rulesFolder(folder) else {
            throw TriageError(.unusable, "cannot find the rules folder corpora/rules; pass --rules DIR or set TRIAGE_RULES")
        }
        return found
    }

    /// The scheme's rules, validated (errors name the rule file and line).
    public func load() throws -> RuleSet {
        let folder = try rulesFolder()
        do { return try RuleSet.load(scheme: scheme, rulesFolder: folder) } catch { throw TriageError(error) }
    }
}
