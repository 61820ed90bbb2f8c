/// Weak labels from report archives (issue 4).
///
/// - `ReportReader`: directories, files and .tgz/.tar.gz/.gz archives; Open-i XML
///   (libxml2 + XPath, `XML.swift` is the only file that imports CLibXML2), CSV/TSV
///   (through `Inputs`' reader; a bad record is skipped and named, not the file),
///   the CheXpert labeler's CSV, MTSamples, plain text.
/// - `RuleSet`: a scheme of `corpora/rules/<scheme>/` (labels, phrases, context rules),
///   validated on load with errors that name file:line.
/// - `Labeler`: sections, sentences, phrase matching on UTF-8 tokens, NegEx/ConText-style
///   negation and uncertainty, CheXpert aggregation, evidence offsets.
/// - `Miner`: parse and label on every core, write to the corpus in batches (idempotent,
///   re-labels changed reports, resumable).
/// - `LabelTable`, `LabelEvaluation`, `NegExEvaluation`: export, F1, kappa (from `Statistics`), NegEx accuracy.
/// - `ContextRuleSet`, `ContextAnnotator`, `MentionAttributes`: ConText for clinical notes
///   (`notes-context.txt`): negated / uncertain, historical / hypothetical, patient / family / other
///   of a span in a sentence (`attributes(of:in:)`) or of spans in a whole note with its sections
///   (`attributes(of:inNote:)`).
/// - `ICD10`, `LabelMapping`: the CMS tabular list, code lookup, code ranges and MeSH terms to labels.
public enum Mining {}
