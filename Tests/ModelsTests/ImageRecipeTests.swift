import Foundation
import Models
import Neural
import Vision
import XCTest

final class ImageRecipeTests: XCTestCase {
    func testFewImagesGetTheEnsembleRecipeAndManyTheResidualNetwork() {
        // BreastMNIST's shape: 546 train + 78 val images, two classes, 28 px.
        let breast = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 624, classes: 2, multiLabel: false, usualWidth: 28))
        XCTAssertEqual(breast.name, "few images")
        XCTAssertEqual(breast.settings.network.architecture, .small)
        XCTAssertEqual(breast.settings.network.width, 32)
        XCTAssertEqual(breast.settings.ensemble, 5)
        XCTAssertEqual(breast.settings.epochs, 100)
        XCTAssertEqual(breast.settings.patience, 30)
        XCTAssertEqual(breast.settings.augmentation.list, "flip,crop")
        XCTAssertTrue(breast.settings.balanced && breast.settings.flipAveraging && breast.settings.calibrate)
        XCTAssertNil(breast.settings.size)

        // PneumoniaMNIST's shape here: 3,882 + 524, two classes.
        let pneumonia = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 5_232, classes: 2, multiLabel: false, usualWidth: 28))
        XCTAssertEqual(pneumonia.name, "many images")
        XCTAssertEqual(pneumonia.settings.network.architecture, .resnet)
        XCTAssertEqual(pneumonia.settings.network.width, 16)
        XCTAssertEqual(pneumonia.settings.epochs, 10)
        XCTAssertEqual(pneumonia.settings.ensemble, 1)
        XCTAssertEqual(pneumonia.settings.augmentation.list, "flip,rotate,crop,contrast")
        XCTAssertTrue(pneumonia.settings.flipAveraging && pneumonia.settings.balanced)
        XCTAssertFalse(pneumonia.settings.calibrate)

        // Several labels: no Platt scaling (it is for two classes); large images are trained at 64 px;
        // a very large set trains fewer epochs.
        let chest = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 200_000, classes: 5, multiLabel: true, usualWidth: 224))
        XCTAssertFalse(chest.settings.calibrate)
        XCTAssertEqual(chest.settings.size, 64)
        XCTAssertEqual(chest.settings.epochs, 3)
        let small3 = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 300, classes: 3, multiLabel: false, usualWidth: 28))
        XCTAssertFalse(small3.settings.calibrate)
        XCTAssertEqual(small3.settings.ensemble, 5)
    }

    func testEveryGivenSettingOverridesTheRecipe() throws {
        let recipe = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 624, classes: 2, multiLabel: false, usualWidth: 28))
        var choices = ImageTrainingChoices()
        XCTAssertEqual(choices.applied(to: recipe.settings), recipe.settings)
        XCTAssertEqual(choices.given, [])
        choices.architecture = .resnet
        choices.epochs = 7
        choices.ensemble = 2
        choices.calibrate = false
        choices.balanced = false
        choices.patience = 0
        choices.augmentation = try ImageAugmentation(list: "none")
        choices.size = 32
        let s = choices.applied(to: recipe.settings)
        XCTAssertEqual(s.network.architecture, .resnet)
        XCTAssertEqual(s.network.width, 32, "not given: the recipe's")
        XCTAssertEqual(s.epochs, 7)
        XCTAssertEqual(s.ensemble, 2)
        XCTAssertFalse(s.calibrate)
        XCTAssertFalse(s.balanced)
        XCTAssertTrue(s.flipAveraging, "not given: the recipe's")
        XCTAssertNil(s.patience, "0 never stops early")
        XCTAssertTrue(s.augmentation.isIdentity)
        XCTAssertEqual(s.size, 32)
        XCTAssertEqual(Set(choices.given), ["arch", "epochs", "ensemble", "calibrate", "balanced", "patience", "augment", "size"])
    }

    func testStartingFromAModelTrainsOneNetworkOfItsArchitectureAndWidth() throws {
        let recipe = ImageRecipe.choose(for: ImageTaskProfile(trainingImages: 624, classes: 2, multiLabel: false, usualWidth: 28))
        let start = ImageNetwork.build(ImageNetworkConfiguration(architecture: .resnet, width: 8, inputChannels: 1, outputs: 2))
        let initial = try XCTUnwrap(ImageNetwork.configuration(of: start))
        XCTAssertEqual(initial.architecture, .resnet)
        XCTAssertEqual(initial.width, 8)
        XCTAssertEqual(ImageNetwork.configuration(of: ImageNetwork.build(ImageNetworkConfiguration(architecture: .small, width: 12)))?.architecture, .small)
        var choices = ImageTrainingChoices()
        choices.initModel = URL(fileURLWithPath: "/models/start")
        choices.freeze = 2
        let s = choices.applied(to: recipe.settings, initial: initial)
        XCTAssertEqual(s.ensemble, 1)
        XCTAssertEqual(s.network.architecture, .resnet)
        XCTAssertEqual(s.network.width, 8)
        XCTAssertEqual(s.freeze, 2)
        XCTAssertEqual(s.initModel?.path, "/models/start")
    }
}
