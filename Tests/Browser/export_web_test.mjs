// Parity of the offline runtime (triage.js, written by `triage export web`) with the Swift engine,
// in node. Driven by TriageKitTests/WebExportTests, which trains small text models, exports them
// and writes the fixtures: the texts, the tokens and n-gram ids Swift's TextPreparation gives, and
// the probabilities of TextClassifier. Run by hand:
//   TRIAGE_WEB_FIXTURES=/path/fixtures.json node --test Tests/Browser/export_web_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const fixturesPath = process.env.TRIAGE_WEB_FIXTURES;
const skip = fixturesPath ? false : "TRIAGE_WEB_FIXTURES is not set (WebExportTests sets it)";
const fixtures = fixturesPath ? JSON.parse(fs.readFileSync(fixturesPath, "utf8")) : { models: [], web: "" };
const runtime = fixturesPath ? await import(pathToFileURL(path.join(fixtures.web, "triage.js")).href) : {};

/** |a - b| / max(|b|, 1e-12): relative difference, as the issue states parity. */
const relative = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

test("tokens and n-gram ids equal Swift's for tricky texts", { skip }, async () => {
  const model = await runtime.loadModel(path.join(fixtures.web, fixtures.models[0].folder));
  for (const c of fixtures.preparation) {
    assert.deepEqual(model.preparation.tokens(c.text), c.tokens, `tokens of ${JSON.stringify(c.text)}`);
    const e = model.encode(c.text);
    assert.deepEqual(Array.from(e.ids), c.ids, `ids of ${JSON.stringify(c.text)}`);
    assert.equal(e.totalTokens, c.totalTokens);
  }
  for (const w of fixtures.ngrams) assert.deepEqual(model.preparation.ngramIds(w.word), w.ids, `n-grams of ${w.word}`);
});

for (const fixture of fixtures.models) {
  test(`${fixture.folder}: probabilities equal the Swift engine's within ${fixture.tolerance} relative`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    let worst = 0;
    for (const c of fixture.cases) {
      const p = model.probabilities(c.text);
      if (c.probabilities === null) { assert.equal(p, null, `${JSON.stringify(c.text)} has no words`); continue; }
      assert.equal(p.length, c.probabilities.length);
      for (let k = 0; k < p.length; k++) worst = Math.max(worst, relative(p[k], c.probabilities[k]));
      const top = model.score(c.text, { top: 3 });
      const best = c.probabilities.indexOf(Math.max(...c.probabilities));
      assert.equal(top[0].label, model.classes[best], `top-1 of ${JSON.stringify(c.text)}`);
      assert.ok(top.length === Math.min(3, model.classes.length) && top[0].probability >= top[top.length - 1].probability);
    }
    console.log(`# ${fixture.folder}: ${fixture.cases.length} texts, worst relative difference ${worst.toExponential(2)}`);
    assert.ok(worst <= fixture.tolerance, `worst relative difference ${worst}`);
  });
}

/** A copy of a model folder with model.json changed by `edit` (and the weights cut to `weightBytes`). */
function hostileCopy(folder, edit, weightBytes) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "triage-hostile-"));
  const config = JSON.parse(fs.readFileSync(path.join(folder, "model.json"), "utf8"));
  edit(config);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(config));
  const weights = fs.readFileSync(path.join(folder, "weights.bin"));
  fs.writeFileSync(path.join(dir, "weights.bin"), weightBytes === undefined ? weights : weights.subarray(0, weightBytes));
  return dir;
}

test("a hostile or damaged model folder is refused with a message, never a crash", { skip }, async () => {
  const folder = path.join(fixtures.web, fixtures.models[0].folder);
  const cases = [
    [(c) => { c.format = "keras"; }, /not a Triage web model/],
    [(c) => { c.kind = "image"; }, /not supported by this runtime \(supported: text/],
    [(c) => { c.network.dimension = 1e9; }, /network.dimension/],
    [(c) => { c.network.architecture = "transformer"; }, /architecture/],
    [(c) => { c.preparation.buckets = -1; }, /buckets/],
    [(c) => { c.preparation.vocabulary = "x".repeat(10); }, /vocabulary/],
    [(c) => { c.members += 1; }, /the weights lack member\d/],
    [(c) => { c.weights.tensors[0].offset = 2 ** 40; }, /do not fit/],
    [(c) => { c.weights.tensors[0].shape = [3, 3]; }, /shape/],
    [(c) => { c.weights.tensors.push({ name: "member0.extra", shape: [1], offset: 0 }); }, /not part of the network/],
    [(c) => { c.weights.dtype = "float64"; }, /dtype/],
    [(c) => { c.weights.file = "../../etc/passwd"; }, /weights file/],
    [(c) => { c.unicode.nonbase = [[5, 2]]; }, /unicode.nonbase/],
    [(c) => { c.unicode.fold = { "55296": [65] }; }, /unicode.fold/],
    [(c) => { c.calibrationPower = 1e308; }, /calibrationPower/],
    [(c) => { c.classes = ["a", "a"]; }, /classes/],
    [() => {}, /do not fit/, 10],
  ];
  for (const [edit, message, bytes] of cases) {
    const dir = hostileCopy(folder, edit, bytes);
    try {
      await assert.rejects(runtime.loadModel(dir), (error) => error instanceof runtime.TriageModelError && message.test(error.message), String(message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  // NaN weights.
  const dir = hostileCopy(folder, () => {});
  try {
    const weights = fs.readFileSync(path.join(dir, "weights.bin"));
    weights.writeFloatLE(NaN, 0);
    fs.writeFileSync(path.join(dir, "weights.bin"), weights);
    await assert.rejects(runtime.loadModel(dir), /NaN or infinite/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await assert.rejects(runtime.loadModel(path.join(fixtures.web, "no-such-model")), /ENOENT|cannot/);
});

test("index.html inlines the runtime and models.js holds every model", { skip }, () => {
  const page = fs.readFileSync(path.join(fixtures.web, "index.html"), "utf8");
  assert.ok(page.includes("function loadModel") && !page.includes("/*RUNTIME*/"));
  assert.ok(!/<script[^>]+src="(https?:)?\/\//.test(page), "no script from the network");
  const context = { self: {} };
  new Function("self", fs.readFileSync(path.join(fixtures.web, "models.js"), "utf8"))(context.self);
  assert.deepEqual(context.self.TRIAGE_OFFLINE.models.map((m) => m.folder), fixtures.exported);
  // The embedded copy scores as the folder does.
  const embedded = context.self.TRIAGE_OFFLINE.models[0];
  const model = runtime.modelFromData(embedded.config, runtime.base64Bytes(embedded.weights));
  const c = fixtures.models[0].cases.find((x) => x.probabilities !== null);
  const p = model.probabilities(c.text);
  for (let k = 0; k < p.length; k++) assert.ok(relative(p[k], c.probabilities[k]) <= fixtures.models[0].tolerance);
});
