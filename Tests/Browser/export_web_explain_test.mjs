// The offline runtime's explanations (TextModel.explain in triage.js: occlusion of each distinct
// word) against the Swift engine's TextClassifier.explain, in node. Driven by
// TriageKitTests/WebExportTests.testTheRuntimeExplainsAsTheSwiftEngineInNode, which trains, exports
// and writes the fixtures: per model and text, the top class and every word's effect on it. Run by hand:
//   TRIAGE_WEB_EXPLAIN_FIXTURES=/path/explain.json node --test Tests/Browser/export_web_explain_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const fixturesPath = process.env.TRIAGE_WEB_EXPLAIN_FIXTURES;
const skip = fixturesPath ? false : "TRIAGE_WEB_EXPLAIN_FIXTURES is not set (WebExportTests sets it)";
const fixtures = fixturesPath ? JSON.parse(fs.readFileSync(fixturesPath, "utf8")) : { models: [], web: "" };
const runtime = fixturesPath ? await import(pathToFileURL(path.join(fixtures.web, "triage.js")).href) : {};

// Effects are differences of probabilities (absolute, in [-1, 1]): the runtime's float64 sums
// differ from the engine's float32 ones in the 7th digit.
const tolerance = 1e-5;

for (const fixture of fixtures.models) {
  test(`${fixture.folder}: every word's effect equals the Swift engine's within ${tolerance}`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    let worst = 0;
    for (const c of fixture.cases) {
      const js = model.explain(c.text, c.classIndex, 1000);
      const swift = new Map(c.effects);
      assert.deepEqual(new Set(js.map((w) => w.word)), new Set(swift.keys()), `the words of ${JSON.stringify(c.text)}`);
      for (const w of js) worst = Math.max(worst, Math.abs(w.effect - swift.get(w.word)));
      // Best first: the top five effects are the engine's (words of equal effect may swap).
      const top = js.slice(0, 5).map((w) => w.effect), expected = c.effects.slice(0, 5).map((e) => e[1]);
      top.forEach((e, i) => assert.ok(Math.abs(e - expected[i]) <= tolerance, `effect ${i + 1} of ${JSON.stringify(c.text)}: ${e} vs ${expected[i]}`));
      assert.equal(model.explain(c.text, c.classIndex).length, Math.min(5, swift.size), "five words by default");
    }
    console.log(`# ${fixture.folder}: ${fixture.cases.length} texts, worst absolute difference ${worst.toExponential(2)}`);
    assert.ok(worst <= tolerance, `worst absolute difference ${worst}`);
    assert.deepEqual(model.explain("", 0), [], "a text without words has no explanation");
    assert.deepEqual(model.explain("wheeze", model.classes.length), [], "a class the model lacks has none");
  });
}
