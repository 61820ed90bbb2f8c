// The runtime against `triage resist --model M --json` on the same VCFs, then its time on one VCF.
//   node compare.mjs MODEL_FOLDER SWIFT.jsonl TIMING.vcf FILE.vcf...
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir, swiftPath, timingVCF, ...files] = process.argv.slice(2);
const { loadModel } = await import(pathToFileURL(path.join(dir, "..", "triage.js")).href);
let started = performance.now();
const model = await loadModel(dir);
console.log(`node: loadModel ${(performance.now() - started).toFixed(0)} ms`);
const swift = new Map();
for (const line of fs.readFileSync(swiftPath, "utf8").split("\n")) if (line.trim()) { const o = JSON.parse(line); swift.set(o.sample, o); }
let samples = 0, equal = 0, worst = 0, drugs = 0;
const differences = [];
for (const file of files) {
  for (const p of model.resist(fs.readFileSync(file), { file })) {
    samples++;
    const s = swift.get(p.sample);
    if (!s) { differences.push(`${p.sample}: no Swift result`); continue; }
    let same = p.resistanceClass === s.resistanceClass && p.variants === s.variants
      && JSON.stringify(Object.keys(p.drugs).sort()) === JSON.stringify(Object.keys(s.drugs).sort());
    for (const d of Object.keys(s.drugs)) {
      const a = p.drugs[d], b = s.drugs[d];
      if (!a) continue;
      drugs++;
      worst = Math.max(worst, Math.abs(a.probability - b.probability) / Math.max(Math.abs(b.probability), 1e-12));
      if (a.call !== b.call || JSON.stringify(a.evidence) !== JSON.stringify(b.evidence)) {
        same = false;
        differences.push(`${p.sample} ${d}: ${JSON.stringify(a)} vs Swift ${JSON.stringify(b)}`);
      }
    }
    if (same) equal++;
  }
}
console.log(`node: ${equal} of ${samples} samples equal to triage resist --model (class, calls, evidence, variants) over ${files.length} VCFs and ${drugs} drug calls; worst relative probability difference ${worst.toExponential(2)}; Swift gave ${swift.size} samples`);
for (const d of differences.slice(0, 10)) console.log("  difference:", d);
const bytes = fs.readFileSync(timingVCF);
const records = bytes.toString("utf8").split("\n").filter((l) => l && !l.startsWith("#")).length;
const times = [];
for (let i = 0; i < 30; i++) { started = performance.now(); model.resist(bytes, { file: timingVCF }); times.push(performance.now() - started); }
const sorted = times.slice().sort((a, b) => a - b);
console.log(`node: ${records}-record VCF read and predicted: first ${times[0].toFixed(1)} ms, median of 30 ${sorted[15].toFixed(1)} ms`);
