import Corpus
import Neural

/// Task models built on the engine: text, resistance and image classifiers.
public enum Models {}
