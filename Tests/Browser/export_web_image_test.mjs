// Parity of the offline runtime's image models (triage.js, "Image models") with the Swift engine,
// in node. Driven by TriageKitTests/WebExportImageTests, which builds small image networks of both
// architectures (zoom stack, flip averaging, calibration, an ensemble, a multi-label head),
// exports them and writes the fixtures: images of every sample type and of other sizes and
// channels than the models', the model inputs Swift's preprocessing builds, and the
// probabilities of ImageClassifier. Run by hand:
//   TRIAGE_WEB_FIXTURES=/path/fixtures.json node --test Tests/Browser/export_web_image_test.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const fixturesPath = process.env.TRIAGE_WEB_FIXTURES;
const skip = fixturesPath ? false : "TRIAGE_WEB_FIXTURES is not set (WebExportImageTests sets it)";
const fixtures = fixturesPath ? JSON.parse(fs.readFileSync(fixturesPath, "utf8")) : { models: [], quantised: [], images: [], web: "" };
const runtime = fixturesPath ? await import(pathToFileURL(path.join(fixtures.web, "triage.js")).href) : {};

// The WebAssembly kernel the runtime must pick: "wasm-simd" in node 20, "wasm-fma" where relaxed
// SIMD runs (node --experimental-wasm-relaxed-simd; WebExportImageTests runs both).
const kernel = process.env.TRIAGE_WEB_KERNEL ?? "wasm-simd";

/** |a - b| / max(|b|, 1e-12): relative difference, as the issue states parity. */
const relative = (a, b) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

/** A fixture image as predictImage takes it: typed samples of its type. */
function image(f) {
  const Type = { uint8: Uint8Array, uint16: Uint16Array, float32: Float32Array }[f.type];
  return { width: f.width, height: f.height, channels: f.channels, data: Type.from(f.data) };
}

/** The worst relative difference between the runtime's probabilities and `expected` (one row per image). */
function worstDifference(model, expected) {
  let worst = 0;
  fixtures.images.forEach((f, i) => {
    const p = model.probabilities(image(f));
    assert.equal(p.length, expected[i].length);
    for (let k = 0; k < p.length; k++) worst = Math.max(worst, relative(p[k], expected[i][k]));
  });
  return worst;
}

test("the model input equals Swift's preprocessing (channels, resizing, zoom stack, standardisation)", { skip }, async () => {
  const model = await runtime.loadModel(path.join(fixtures.web, fixtures.models[0].folder));
  let worst = 0;
  fixtures.images.forEach((f, i) => {
    const input = model.finish(model.base(image(f)));
    assert.equal(input.length, fixtures.inputs[i].length);
    for (let k = 0; k < input.length; k++) worst = Math.max(worst, Math.abs(input[k] - fixtures.inputs[i][k]));
  });
  console.log(`# preprocessing: ${fixtures.images.length} images, largest difference ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-6, `largest input difference ${worst}`);
});

for (const fixture of fixtures.models) {
  test(`${fixture.folder}: probabilities equal the Swift engine's within ${fixture.tolerance} relative, with the WebAssembly kernel and without`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    assert.equal(model.kernel, kernel);
    // Every 3x3 stride-1 Conv2D of 4k channels and filters runs by Winograd F(2x2, 3x3): the fixtures' have some.
    assert.ok(model.nodes.some((n) => n.wasm && n.wasm.winograd), "no Conv2D runs by Winograd");
    const worst = worstDifference(model, fixture.probabilities);
    const direct = await runtime.loadModel(path.join(fixtures.web, fixture.folder), { winograd: false });
    assert.ok(!direct.nodes.some((n) => n.wasm && n.wasm.winograd));
    const worstDirect = worstDifference(direct, fixture.probabilities);
    console.log(`# ${fixture.folder}: ${kernel} without Winograd, worst relative difference ${worstDirect.toExponential(2)}`);
    assert.ok(worstDirect <= fixture.tolerance, `direct WebAssembly product: worst relative difference ${worstDirect}`);
    const scalar = await runtime.loadModel(path.join(fixtures.web, fixture.folder), { wasm: false });
    assert.equal(scalar.kernel, "js");
    const worstScalar = worstDifference(scalar, fixture.probabilities);
    console.log(`# ${fixture.folder}: scalar JavaScript kernel, worst relative difference ${worstScalar.toExponential(2)}`);
    assert.ok(worstScalar <= fixture.tolerance, `scalar kernel: worst relative difference ${worstScalar}`);
    // The images must tell apart: a model that gives every image the same answer would prove little.
    const first = fixture.probabilities[0];
    const spread = Math.max(...fixture.probabilities.flatMap((p) => p.map((v, k) => Math.abs(v - first[k]))));
    // (Or, for a confident model, in their logarithms: 1e-8 and 1e-3 differ though both are near 0.)
    const logSpread = Math.max(...fixture.probabilities.flatMap((p) => p.map((v, k) => Math.abs(Math.log(Math.max(v, 1e-30)) - Math.log(Math.max(first[k], 1e-30))))));
    console.log(`# ${fixture.folder}: ${fixtures.images.length} images, worst relative difference ${worst.toExponential(2)}; probabilities spread over ${spread.toFixed(3)}`);
    assert.ok(worst <= fixture.tolerance, `worst relative difference ${worst}`);
    assert.ok(spread > 0.02 || logSpread > 1, `the images' probabilities differ by at most ${spread} (their logarithms by ${logSpread})`);
    const named = model.predictImage(image(fixtures.images[0]));
    assert.deepEqual(Object.keys(named), fixture.labels);
    fixture.labels.forEach((label, k) => assert.equal(named[label], model.probabilities(image(fixtures.images[0]))[k]));
  });
}

for (const fixture of fixtures.quantised) {
  test(`${fixture.folder}: reads back Swift's dequantised weights, and stays near float32`, { skip }, async () => {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    const worst = worstDifference(model, fixture.probabilities);
    const float32 = fixtures.models.find((m) => m.folder === fixture.of).probabilities;
    let change = 0;
    fixtures.images.forEach((f, i) => {
      const p = model.probabilities(image(f));
      for (let k = 0; k < p.length; k++) change = Math.max(change, Math.abs(p[k] - float32[i][k]));
    });
    console.log(`# ${fixture.folder}: worst relative difference ${worst.toExponential(2)} from Swift's dequantised model; largest change from float32 ${change.toExponential(2)}`);
    assert.ok(worst <= fixture.tolerance, `worst relative difference ${worst}`);
    assert.ok(change < 0.05, `a probability moved by ${change} from float32`);
  });
}

test("calibrated models: every probability, the smallest included, equals Swift's within 1e-5 relative; a float32-rounded p would not", { skip }, async () => {
  const calibrated = fixtures.models.filter((m) => m.calibrated);
  assert.ok(calibrated.length >= 2, "the fixtures hold calibrated models");
  let smallest = 1, oldWorst = 0, lowest = Infinity, highest = -Infinity;
  for (const fixture of calibrated) {
    const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder));
    const c = model.preprocessing.calibration, f32 = Math.fround;
    fixtures.images.forEach((f, i) => {
      const p = model.probabilities(image(f)), q = fixture.probabilities[i];
      for (let k = 0; k < 2; k++) {
        assert.ok(relative(p[k], q[k]) <= 1e-5, `${fixture.folder}, image ${i}, class ${k}: ${p[k]} against Swift's ${q[k]}`);
        smallest = Math.min(smallest, q[k]);
      }
      // What the runtime and Swift did before: the views' mean probability rounded to float32,
      // then its float32 log-odds. It must miss by more than 1e-5 somewhere, or this test proves nothing.
      const base = model.base(image(f));
      const views = [model.logits(model.finish(base))];
      if (model.preprocessing.flipAveraging) views.push(model.logits(model.finish(runtime.flippedImage(base))));
      const mean = views.map((z) => model.raw(z)[1]).reduce((a, b) => a + b, 0) / views.length;
      lowest = Math.min(lowest, Math.log(mean / (1 - mean))); highest = Math.max(highest, Math.log(mean / (1 - mean)));
      const lo = f32(1e-7), hi = f32(1 - lo), r = Math.min(Math.max(f32(mean), lo), hi);
      const x = f32(Math.log(f32(r / f32(1 - r))));
      const old1 = f32(1 / f32(1 + f32(Math.exp(-f32(f32(c[0] * x) + c[1])))));
      oldWorst = Math.max(oldWorst, relative(f32(1 - old1), q[0]), relative(old1, q[1]));
    });
  }
  console.log(`# calibrated: log-odds from ${lowest.toFixed(2)} to ${highest.toFixed(2)}, smallest probability ${smallest.toExponential(2)}; `
    + `a float32-rounded p (the old code) would give a worst relative difference of ${oldWorst.toExponential(2)}`);
  assert.ok(smallest < 0.01, `the smallest calibrated probability is ${smallest}: the fixtures do not reach the tails`);
  assert.ok(oldWorst > 1e-5, `the old float32 calibration is within ${oldWorst} of Swift's: the test cannot tell`);
});

test("the test can fail: a kernel read transposed, or an image read mirrored, moves the probabilities", { skip }, async () => {
  const fixture = fixtures.models[1];
  // The scalar kernel reads node.weight as it is (the WebAssembly one holds a copy made at load).
  const model = await runtime.loadModel(path.join(fixtures.web, fixture.folder), { wasm: false });
  const conv = model.nodes.find((n) => n.op === "conv2d" && n.kh === 3);
  const w = conv.weight, original = Float32Array.from(w), c = w.length / (conv.f * 9);
  for (let f = 0; f < conv.f; f++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < c; k++) {
    w[((f * 3 + i) * 3 + j) * c + k] = original[((f * 3 + j) * 3 + i) * c + k];
  }
  const transposed = worstDifference(model, fixture.probabilities);
  w.set(original);
  assert.ok(worstDifference(model, fixture.probabilities) <= fixture.tolerance);
  assert.ok(transposed > 1e-3, `a transposed kernel moved the probabilities by only ${transposed}`);
  // Without flip averaging, an image read mirrored (columns reversed) scores otherwise.
  const plain = await runtime.loadModel(path.join(fixtures.web, fixtures.models[0].folder));
  const f = fixtures.images[0], mirrored = { ...image(f), data: Uint8Array.from(f.data) };
  for (let y = 0; y < f.height; y++) for (let x = 0; x < f.width; x++) mirrored.data[y * f.width + x] = f.data[y * f.width + f.width - 1 - x];
  const p = plain.probabilities(mirrored), q = fixtures.models[0].probabilities[0];
  const moved = Math.max(...Array.from(p, (v, k) => relative(v, q[k])));
  assert.ok(moved > 1e-3, `a mirrored image moved the probabilities by only ${moved}`);
});

test("the WebAssembly kernels equal the scalar one on sizes that leave remainders (pixels and tiles not a multiple of 4 or 2)", { skip }, async () => {
  for (const fixture of fixtures.models.slice(0, 2)) {
    // The same network on a 13x11 input: 143, 30 and 6 pixels after the pools.
    const dir = hostileCopy(path.join(fixtures.web, fixture.folder), (c) => { c.preprocessing.width = 13; c.preprocessing.height = 11; });
    try {
      const simd = await runtime.loadModel(dir), direct = await runtime.loadModel(dir, { winograd: false });
      const scalar = await runtime.loadModel(dir, { wasm: false });
      assert.equal(simd.kernel, kernel);
      let worst = 0, worstDirect = 0;
      for (const f of fixtures.images) {
        const x = simd.finish(simd.base(image(f)));
        const a = simd.logits(x), b = scalar.logits(x), d = direct.logits(x);
        for (let k = 0; k < a.length; k++) {
          worst = Math.max(worst, Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k])));
          worstDirect = Math.max(worstDirect, Math.abs(d[k] - b[k]) / Math.max(1, Math.abs(b[k])));
        }
      }
      console.log(`# ${fixture.folder} at 13x11: logits of the WebAssembly kernels within ${worst.toExponential(2)} (Winograd), ${worstDirect.toExponential(2)} (direct) of the scalar one`);
      assert.ok(worst <= 1e-5 && worstDirect <= 1e-5, `the kernels' logits differ by ${worst} and ${worstDirect}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("images are read as documented: RGBA drops alpha, channels may be left out, bad images are refused", { skip }, async () => {
  const model = await runtime.loadModel(path.join(fixtures.web, fixtures.models[1].folder));
  const f = fixtures.images.find((x) => x.channels === 3 && x.type === "uint8");
  const rgba = new Uint8ClampedArray(f.width * f.height * 4);
  for (let i = 0; i < f.width * f.height; i++) { rgba.set(f.data.slice(3 * i, 3 * i + 3), 4 * i); rgba[4 * i + 3] = (i * 37) % 256; }
  assert.deepEqual(model.predictImage({ width: f.width, height: f.height, data: rgba }), model.predictImage(image(f)));
  const bad = [
    [{ width: 0, height: 2, data: new Uint8Array(0) }, /width and height/],
    [{ width: 2, height: 2, channels: 3, data: new Uint8Array(5) }, /needs 12 samples/],
    [{ width: 2, height: 2, channels: 5, data: new Uint8Array(20) }, /1, 2, 3 or 4 channels/],
    [{ width: 1, height: 1, channels: 1, data: [NaN] }, /not a finite number/],
    [{ width: 1, height: 1, channels: 1, data: "x" }, /must be a Uint8Array/],
    [{ width: 1, height: 1, channels: 1, data: new Int16Array(1) }, /must be a Uint8Array/],
    [null, /must be an object/],
  ];
  for (const [input, message] of bad) assert.throws(() => model.predictImage(input), (e) => e instanceof runtime.TriageModelError && message.test(e.message), String(message));
});

/** A copy of a model folder with model.json changed by `edit`. */
function hostileCopy(folder, edit) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "triage-hostile-image-"));
  const config = JSON.parse(fs.readFileSync(path.join(folder, "model.json"), "utf8"));
  edit(config);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(config));
  fs.copyFileSync(path.join(folder, "weights.bin"), path.join(dir, "weights.bin"));
  return dir;
}

test("a hostile or damaged image model is refused with a message, never a crash", { skip }, async () => {
  const folder = path.join(fixtures.web, fixtures.models[1].folder);
  const conv = (c) => c.graph.nodes.find((n) => n.op === "conv2d");
  const cases = [
    [(c) => { c.graph.nodes[0].op = "attention"; }, /not one this runtime runs/],
    [(c) => { conv(c).kernel = [3, 4]; }, /has shape/],
    [(c) => { conv(c).inputChannels = 7; }, /must read 3 channels/],
    [(c) => { c.graph.nodes[0].inputs = ["nowhere"]; }, /not an earlier node/],
    [(c) => { c.graph.output = c.graph.nodes[0].name; }, /one value per label/],
    [(c) => { c.preprocessing.width = 1e9; }, /preprocessing.width/],
    [(c) => { c.preprocessing.zooms = []; }, /zooms/],
    [(c) => { c.preprocessing.calibration = [-1, 0]; }, /calibration/],
    [(c) => { c.labels = ["a", "a"]; }, /labels/],
    [(c) => { c.outputs = "regression"; }, /outputs/],
    [(c) => { c.graph.nodes.find((n) => n.op === "pool2d" || n.op === "globalpool").mode = "median"; }, /mode/],
    [(c) => { c.weights.tensors.pop(); }, /lack/],
    [(c) => { c.weights.tensors[0].dtype = "int4"; }, /dtype/],
    [(c) => { c.graph.nodes.find((n) => n.op === "activation").activation = "gelu"; }, /activation/],
    // The small network pools twice: a 1x1 input leaves nothing.
    [(c) => { c.preprocessing.width = 1; c.preprocessing.height = 1; }, /leaves nothing/, fixtures.models[0].folder],
  ];
  for (const [edit, message, other] of cases) {
    const dir = hostileCopy(other ? path.join(fixtures.web, other) : folder, edit);
    try {
      await assert.rejects(runtime.loadModel(dir), (error) => error instanceof runtime.TriageModelError && message.test(error.message), String(message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test("models.js embeds the image models and its copy predicts as the folder does", { skip }, () => {
  const context = { self: {} };
  new Function("self", fs.readFileSync(path.join(fixtures.web, "models.js"), "utf8"))(context.self);
  assert.deepEqual(context.self.TRIAGE_OFFLINE.models.map((m) => m.folder), fixtures.exported);
  const embedded = context.self.TRIAGE_OFFLINE.models[2];
  const model = runtime.modelFromData(embedded.config, runtime.base64Bytes(embedded.weights));
  assert.ok(worstDifference(model, fixtures.models[2].probabilities) <= fixtures.models[2].tolerance);
});
