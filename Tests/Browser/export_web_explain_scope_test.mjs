// The offline runtime's explanations (TextModel.explain in triage.js: occlusion of each distinct
// word) and scope judgements (TextModel.judgeScope) against the Swift engine's
// TextClassifier.explain and probabilitiesAndScope, in node. Driven by TriageKitTests/
// WebExportTests.testTheRuntimeExplainsAndJudgesScopeAsTheSwiftEngineInNode, which trains models
// with a scope, exports them and writes the fixtures: per model and text, the top class, every
// word's effect on it and the scope judgement. Run by hand:
//   TRIAGE_WEB_EXPLAIN_FIXTURES=/path/explain.json node --test Tests/Browser/export_web_explain_scope_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const fixturesPath = process.env.TRIAGE_WEB_EXPLAIN_FIXTURES;
const skip = fixturesPath ? false : "TRIAGE_WEB_EXPLAIN_FIXTURES is not set (WebExportTests sets it)";
const fixtures = fixturesPath ? JSON.parse(fs.readFileSync(fixturesPath, "utf8")) : { models: [], web: "" };
const runtime = fixturesPath ? await import(pathToFileURL(path.join(fixtures.web, "triage.js")).href) : {};

// Effects and scope scores are absolute numbers in [-1, 1] and [0, 1]: the runtime's float64 sums
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
    console.log(`# ${fixture.folder} explanations: ${fixture.cases.length} texts, worst absolute difference ${worst.toExponential(2)}`);
    assert.ok(worst <= tolerance, `worst absolute difference ${worst}`);
    assert.deepEqual(model.explain("", 0), [], "a text without words has no explanation");
    assert.deepEqual(model.explain("wheeze", model.classes.length), [], "a class the model lacks has none");
  });

  test(`${fixture.folder}: scope scores and judgements equal the Swift engine's`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    assert.equal(model.scope.threshold, fixture.threshold);
    assert.equal(model.scope.notice, fixture.notice, "the sentence `triage score` prints for a case out of scope");
    const references = [model.scope.familiarity, model.scope.confidence, model.scope.neighbourhood];
    let worstView = 0, worst = 0, out = 0, ties = 0;
    for (const c of fixture.cases) {
      const js = model.judgeScope(c.text);
      const views = [js.views.familiarity, js.views.confidence, js.views.neighbourhood];
      views.forEach((v, i) => {
        worstView = Math.max(worstView, Math.abs(v - c.views[i]));
        assert.ok(Math.abs(v - c.views[i]) <= tolerance, `view ${i} of ${JSON.stringify(c.text)}: ${v} vs ${c.views[i]}`);
      });
      // The engine's views give the engine's score: the p-values, Fisher's method and the placing.
      const [familiarity, confidence, neighbourhood] = c.views;
      assert.ok(Math.abs(model.scope.score({ familiarity, confidence, neighbourhood }) - c.scope.score) <= 1e-12, `score of ${JSON.stringify(c.text)}'s views`);
      // Familiarity is a ratio of counts, the same in both. A confidence or neighbourhood within the
      // tolerance of a validation text's value may fall on the other side of it (a training case's
      // own text ties with its stored copy): such a text's score may differ by a step; any other's
      // is the engine's.
      if (views.some((v, i) => i > 0 && references[i].some((r) => Math.abs(r - v) <= tolerance))) { ties++; continue; }
      worst = Math.max(worst, Math.abs(js.score - c.scope.score));
      assert.ok(Math.abs(js.score - c.scope.score) <= tolerance, `scope score of ${JSON.stringify(c.text)}: ${js.score} vs ${c.scope.score}`);
      assert.equal(js.inScope, c.scope.inScope, `in scope: ${JSON.stringify(c.text)} (score ${js.score}, threshold ${model.scope.threshold})`);
      if (!js.inScope) out++;
    }
    console.log(`# ${fixture.folder} scope: ${fixture.cases.length} texts (${ties} next to a validation value), ${out} out of scope, `
                + `worst absolute difference ${worst.toExponential(2)} (views ${worstView.toExponential(2)})`);
    assert.ok(fixture.cases.length - ties >= 10, "most texts are compared end to end");
    assert.equal(model.judgeScope(""), null, "a text without words is not judged");
  });
}

test("a damaged scope is refused with a message", { skip }, () => {
  const folder = path.join(fixtures.web, fixtures.models[0].folder);
  const weights = fs.readFileSync(path.join(folder, "weights.bin"));
  const buffer = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const cases = [
    [(c) => { c.scope.joined = [0.5, 0.2]; }, /scope.joined must be a sorted list/],
    [(c) => { c.scope.familiarity = [2]; }, /scope.familiarity/],
    [(c) => { c.scope.threshold = "low"; }, /scope.threshold/],
    [(c) => { c.scope = 7; }, /scope must be an object/],
    [(c) => { c.weights.tensors = c.weights.tensors.filter((t) => !t.name.endsWith("scope.bank")); }, /lack member0.scope.bank/],
    [(c) => { c.weights.tensors.find((t) => t.name.endsWith("scope.bank")).shape[1] -= 1; }, /scope.bank has shape/],
  ];
  for (const [edit, message] of cases) {
    const config = JSON.parse(fs.readFileSync(path.join(folder, "model.json"), "utf8"));
    edit(config);
    assert.throws(() => runtime.modelFromData(config, buffer), (error) => error instanceof runtime.TriageModelError && message.test(error.message), String(message));
  }
  // Without its scope, a model still scores, and judges nothing.
  const config = JSON.parse(fs.readFileSync(path.join(folder, "model.json"), "utf8"));
  config.scope = null;
  config.weights.tensors = config.weights.tensors.filter((t) => !t.name.endsWith("scope.bank"));
  const model = runtime.modelFromData(config, buffer);
  assert.equal(model.judgeScope("wheeze"), null);
  assert.ok(model.score("wheeze").length > 0);
});
