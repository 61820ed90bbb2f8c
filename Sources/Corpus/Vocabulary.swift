/// Kinds of text a document can be (`document.kind`).
public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case report, note, vignette
}

/// A label value with the CheXpert conventions: positive 1, negative 0, uncertain -1 (`label.value`,
/// `imageLabel.value`). The one label-value type of Triage.
public enum LabelValue: Int, Codable, Sendable, CaseIterable {
    case positive = 1
    case negative = 0
    case uncertain = -1

    /// "positive", "negative" or "uncertain".
    public var name: String {
        switch self {
        case .positive: return "positive"
        case .negative: return "negative"
        case .uncertain: return "uncertain"
        }
    }
}

/// Who or what produced a label (`label.source`). The one label-source type of Triage.
public enum LabelSource: String, Codable, Sendable, CaseIterable {
    /// Mined by the rules of a scheme (`triage mine`).
    case rules
    /// Derived from a document's ICD-10-CM codes through a scheme's mapping.
    case icd
    /// A human reader's MeSH tags (Open-i), raw (scheme `mesh`) or mapped to a scheme.
    case mesh
    /// A human label (`triage import csv`).
    case human
    /// Predicted by a trained model.
    case model
}

/// The split an image belongs to (`image.split`).
public enum ImageSplit: String, Codable, Sendable, CaseIterable {
    case train, val, test
}
