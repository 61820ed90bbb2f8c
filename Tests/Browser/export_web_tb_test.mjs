// Parity of the offline runtime's TB resistance (triage.js, "TB resistance") with `triage resist
// --model`, in node. Driven by TriageKitTests/WebExportTBTests, which trains small wdnn+catalogue
// and wdnn models on a synthetic H37Rv, exports them and writes the fixtures: VCFs and what the
// Swift code path gives for each (the `resist --json` objects, or the error naming file and line).
// Run by hand:
//   TRIAGE_WEB_TB_FIXTURES=/path/tb-fixtures.json node --test Tests/Browser/export_web_tb_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const fixturesPath = process.env.TRIAGE_WEB_TB_FIXTURES;
const skip = fixturesPath ? false : "TRIAGE_WEB_TB_FIXTURES is not set (WebExportTBTests sets it)";
const fixtures = fixturesPath ? JSON.parse(fs.readFileSync(fixturesPath, "utf8")) : { models: [], web: "" };
const runtime = fixturesPath ? await import(pathToFileURL(path.join(fixtures.web, "triage.js")).href) : {};

const relative = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/**
 * Compares the runtime's objects with Swift's: probabilities within `tolerance` relative, the rest
 * (calls, evidence, class, sample, variant count) equal. Returns the worst relative difference.
 */
function compare(actual, expected, where, tolerance = 1e-5) {
  assert.equal(actual.length, expected.length, `${where}: samples`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    assert.deepEqual(Object.keys(a.drugs).sort(), Object.keys(e.drugs).sort(), `${where}: drugs`);
    const copy = structuredClone(a);
    for (const drug of Object.keys(e.drugs)) {
      const d = relative(a.drugs[drug].probability, e.drugs[drug].probability);
      worst = Math.max(worst, d);
      assert.ok(d <= tolerance, `${where} ${e.sample} ${drug}: probability ${a.drugs[drug].probability}, Swift ${e.drugs[drug].probability}`);
      copy.drugs[drug].probability = e.drugs[drug].probability;
    }
    assert.deepEqual(copy, e, `${where}: sample ${e.sample}`);
  }
  return worst;
}

for (const fixture of fixtures.models) {
  test(`${fixture.folder}: resist equals triage resist --model on ${fixture.cases.length} VCFs`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    assert.equal(model.kind, "tb-resistance");
    let worst = 0, samples = 0, refused = 0;
    for (const c of fixture.cases) {
      const bytes = fs.readFileSync(c.file);
      const options = { file: c.file, includeFiltered: c.includeFiltered };
      if (c.error !== undefined) {
        assert.throws(() => model.resist(bytes, options), (error) => {
          assert.ok(error instanceof runtime.TriageInputError, `${c.file}: ${error}`);
          assert.equal(error.message, c.error);
          return true;
        }, `${c.file} must be refused`);
        refused++;
        continue;
      }
      worst = Math.max(worst, compare(model.resist(bytes, options), c.expected, c.file));
      // Text gives the same as bytes.
      compare(model.resist(bytes.toString("utf8"), options), c.expected, `${c.file} (text)`);
      samples += c.expected.length;
    }
    console.log(`${fixture.folder}: ${samples} samples equal, ${refused} VCFs refused with Swift's message; worst relative difference ${worst.toExponential(2)}`);
  });
}

test("a FASTA file and damaged TB models are refused with a message", { skip }, async () => {
  const fixture = fixtures.models[0];
  const dir = path.join(fixtures.web, fixture.folder);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  const buffer = fs.readFileSync(path.join(dir, config.weights.file));
  const weights = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const model = runtime.modelFromData(config, weights);
  assert.throws(() => model.resist(">chr\nACGT\n", { file: "x.fa" }), /reads VCF only/);
  const damaged = [
    ["the genome past the end of the weights", (c) => { c.reference.sequence.offset = weights.byteLength; }, /reference.sequence/],
    ["a tensor of another shape", (c) => { c.weights.tensors[0].shape = [c.weights.tensors[0].shape[0] + 1, c.weights.tensors[0].shape[1]]; }, /does not fit|shape/],
    ["a threshold outside [0, 1]", (c) => { c.thresholds[c.drugs[0]] = 2; }, /thresholds/],
    ["a vocabulary of another size", (c) => { c.vocabulary.push("x y"); }, /network/],
    ["a gene without coordinates", (c) => { c.reference.genes[0] = ["x"]; }, /reference.genes\[0\]/],
    ["a catalogue entry of another form", (c) => { if (c.catalogue) c.catalogue.entries[0] = [1, 2]; else c.catalogue = { minFraction: 0.25, entries: [[1, 2]] }; }, /catalogue.entries\[0\]/],
  ];
  for (const [what, damage, message] of damaged) {
    const copy = structuredClone(config);
    damage(copy);
    assert.throws(() => runtime.modelFromData(copy, weights), (error) => error instanceof runtime.TriageModelError && message.test(error.message), what);
  }
});
