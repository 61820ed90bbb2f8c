import Foundation
import XCTest
import TestSupport

/// `train image|text|resistance --recipe`: what the defaults stand for, and every flag overriding its part.
final class RecipeCLITests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws { directory = try TemporaryFolder("triage-recipe").path }
    override func tearDownWithError() throws { if let directory { try? FileManager.default.removeItem(atPath: directory) } }

    func run(_ arguments: [String]) throws -> TriageRun { try TriageRun.run(arguments, directory: directory) }

    func json(_ run: TriageRun) throws -> [String: Any] {
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
    }

    func testImageRecipeFollowsTheTaskAndFlagsOverrideIt() throws {
        let npz = try TestPaths.shared("images/breastmnist.npz")
        XCTAssertEqual(try run(["images", "import", npz]).status, 0)
        let plain = try run(["train", "image", "--task", "breastmnist", "--recipe"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("624 training images, 2 classes, 28 px"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("recipe: few images"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("calibrate, ensemble 5"), plain.stdout)

        let given = try json(try run(["train", "image", "--task", "breastmnist", "--recipe", "--json",
                                      "--ensemble", "2", "--no-calibrate", "--arch", "resnet", "--patience", "0"]))
        XCTAssertEqual(Set(given["given"] as? [String] ?? []), ["ensemble", "calibrate", "arch", "patience"])
        let settings = try XCTUnwrap(given["settings"] as? [String: Any])
        XCTAssertEqual(settings["ensemble"] as? Int, 2)
        XCTAssertEqual(settings["calibrate"] as? Bool, false)
        XCTAssertEqual(settings["balanced"] as? Bool, true, "not given: the recipe's")
        XCTAssertNil(settings["patience"], "0: no early stop")
        XCTAssertEqual((settings["network"] as? [String: Any])?["architecture"] as? String, "resnet")

        let missing = try run(["train", "image", "--task", "breastmnist"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--output"), missing.stderr)
    }

    func testTextAndResistanceRecipesNameWhatChanged() throws {
        let text = try json(try run(["train", "text", "--task", "any", "--recipe", "--json", "--members", "5"]))
        XCTAssertEqual(text["recipe"] as? String, "word CNN ensemble")
        XCTAssertEqual(text["changed"] as? [String], ["members"])
        XCTAssertEqual((text["settings"] as? [String: String])?["architecture"], "cnn")
        let resistance = try json(try run(["train", "resistance", "--recipe", "--json"]))
        XCTAssertEqual(resistance["recipe"] as? String, "wdnn+catalogue")
        XCTAssertEqual(resistance["changed"] as? [String], [])
        let wdnn = try json(try run(["train", "resistance", "--recipe", "--json", "--arch", "wdnn"]))
        XCTAssertEqual(wdnn["changed"] as? [String], ["arch"])
    }
}
