/// Weak labels from report archives: readers, sections, sentences, rules, negation (issue 4).
public enum Mining {}
