// Per-vignette time of the exported runtime in node: loadModel, 10 warm-up texts, then every text
// 4 times. node node_time.mjs WEB_FOLDER MODEL_FOLDER TEXTS.json
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
const [web, model, textsFile] = process.argv.slice(2);
const { loadModel } = await import(pathToFileURL(path.join(web, "triage.js")).href);
const t0 = performance.now();
const m = await loadModel(path.join(web, model));
const load = performance.now() - t0;
const texts = JSON.parse(fs.readFileSync(textsFile, "utf8"));
for (const t of texts.slice(0, 10)) m.score(t, { top: 5 });
const t1 = performance.now();
for (let r = 0; r < 4; r++) for (const t of texts) m.score(t, { top: 5 });
const per = (performance.now() - t1) / (4 * texts.length);
const tokens = texts.reduce((a, t) => a + m.encode(t).tokens.length, 0) / texts.length;
console.log(`node: load ${load.toFixed(0)} ms; ${per.toFixed(2)} ms per vignette (${texts.length} texts x 4, mean ${tokens.toFixed(0)} tokens)`);
