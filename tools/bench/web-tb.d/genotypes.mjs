// The runtime's predictions for the isolate table's samples against `triage resist --model M
// --genotypes G --json`: every call, evidence and class, probabilities within 1e-5 relative.
//   node genotypes.mjs MODEL_FOLDER SAMPLES.json SWIFT.jsonl
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir, samplesPath, swiftPath] = process.argv.slice(2);
const { loadModel } = await import(pathToFileURL(path.join(dir, "..", "triage.js")).href);
const model = await loadModel(dir);
const samples = JSON.parse(fs.readFileSync(samplesPath, "utf8"));
const swift = new Map();
for (const line of fs.readFileSync(swiftPath, "utf8").split("\n")) if (line.trim()) { const o = JSON.parse(line); swift.set(o.sample, o); }
let equal = 0, calls = 0, callsEqual = 0, worst = 0, onThreshold = 0, sameCall = 0, sameClass = 0;
const started = performance.now();
const differences = [];
for (const p of model.predict(samples)) {
  const s = swift.get(p.sample);
  let same = s !== undefined && p.resistanceClass === s.resistanceClass && p.variants === s.variants;
  if (s !== undefined && p.resistanceClass === s.resistanceClass) sameClass++;
  for (const d of Object.keys(s?.drugs ?? {})) {
    const a = p.drugs[d], b = s.drugs[d];
    calls++;
    worst = Math.max(worst, Math.abs(a.probability - b.probability) / Math.max(Math.abs(b.probability), 1e-12));
    if (b.probability === model.thresholds[d]) onThreshold++;
    if (a.call === b.call) sameCall++;
    if (a.call === b.call && JSON.stringify(a.evidence) === JSON.stringify(b.evidence)) callsEqual++;
    else { same = false; differences.push(`${p.sample} ${d}: ${JSON.stringify(a)} vs Swift ${JSON.stringify(b)}`); }
  }
  if (same) equal++;
}
console.log(`node: isolate table, ${equal} of ${samples.length} isolates equal to triage resist --model --genotypes (${callsEqual} of ${calls} drug calls with their evidence; ${onThreshold} Swift probabilities exactly on their drug's threshold); worst relative probability difference ${worst.toExponential(2)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`node: isolate table, the same call ${sameCall} of ${calls} times, the same class for ${sameClass} of ${samples.length} isolates`);
for (const d of differences.slice(0, 10)) console.log("  difference:", d);
