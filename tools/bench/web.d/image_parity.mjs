// An exported image model against `triage predict image --json` on one .npz split, in node: the
// largest relative difference of a probability, top-1 agreement, accuracy on the split's labels,
// and the time per image after 20 warm-up images with the WebAssembly kernel and with the scalar
// one: wall and CPU (on a loaded machine the CPU time bounds what a quiet one takes).
//   node image_parity.mjs WEB_FOLDER MODEL_FOLDER SPLIT (npz_split.py's OUT) CLI.jsonl
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [web, model, split, cliFile] = process.argv.slice(2);
const { loadModel } = await import(pathToFileURL(path.join(web, "triage.js")).href);
const t0 = performance.now();
const m = await loadModel(path.join(web, model));
const load = performance.now() - t0;
const { shape, labels } = JSON.parse(fs.readFileSync(split + ".json", "utf8"));
const bytes = fs.readFileSync(split + ".bin");
const [n, height, width] = shape, channels = shape[3] ?? 1, size = height * width * channels;
const image = (i) => ({ width, height, channels, data: new Uint8Array(bytes.buffer, bytes.byteOffset + i * size, size) });
const cli = fs.readFileSync(cliFile, "utf8").trim().split("\n").map((line) => JSON.parse(line));
if (cli.length !== n) throw new Error(`${cliFile} has ${cli.length} predictions for ${n} images`);
const argmax = (p) => p.reduce((best, v, k) => (v > p[best] ? k : best), 0);
// The relative difference of a small probability: with calibration the CLI's is 1 - p in float32,
// a few units of 6e-8 near p = 1, so it is also given for probabilities of 0.01 or more.
let worst = 0, worstAt = 0, worstAbove = 0, worstAbsolute = 0, sameTop = 0, right = 0;
for (let i = 0; i < n; i++) {
  const p = m.probabilities(image(i));
  const q = m.labels.map((label) => cli[cli.findIndex((c) => c.index === i)].probabilities[label]);
  for (let k = 0; k < p.length; k++) {
    const r = Math.abs(p[k] - q[k]) / Math.max(Math.abs(q[k]), 1e-12);
    if (r > worst) { worst = r; worstAt = q[k]; }
    if (q[k] >= 0.01) worstAbove = Math.max(worstAbove, r);
    worstAbsolute = Math.max(worstAbsolute, Math.abs(p[k] - q[k]));
  }
  if (argmax(p) === argmax(q)) sameTop++;
  if (!m.multiLabel && m.labels[argmax(p)] === String(labels[i][0])) right++;
}
/** Per image after 20 warm-up images: wall and CPU milliseconds. */
function timed(model) {
  for (let i = 0; i < 20; i++) model.probabilities(image(i % n));
  const t1 = performance.now(), c1 = process.cpuUsage(), rounds = Math.max(1, Math.ceil(400 / n));
  for (let r = 0; r < rounds; r++) for (let i = 0; i < n; i++) model.predictImage(image(i));
  const cpu = process.cpuUsage(c1);
  return `${((performance.now() - t1) / (rounds * n)).toFixed(2)} ms (${((cpu.user + cpu.system) / 1000 / (rounds * n)).toFixed(2)} ms CPU)`;
}
const scalar = await loadModel(path.join(web, model), { wasm: false });
console.log(`node ${model}: ${n} images; against the CLI: worst relative difference ${worst.toExponential(2)} (at ${worstAt.toPrecision(2)}), `
  + `${worstAbove.toExponential(2)} on probabilities >= 0.01, `
  + `worst absolute ${worstAbsolute.toExponential(2)}, same top class ${sameTop}/${n}; accuracy ${(100 * right / n).toFixed(2)}%; `
  + `per image${m.preprocessing.flipAveraging ? " (with its mirror image)" : ""}: ${timed(m)} with the ${m.kernel} kernel, `
  + `${timed(scalar)} with the scalar one; loadModel ${load.toFixed(0)} ms`);
