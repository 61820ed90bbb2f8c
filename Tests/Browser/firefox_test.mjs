// The pages of `triage serve` in headless Firefox (Debian's firefox-esr), driven through WebDriver
// BiDi with node's own WebSocket: no driver binary, no npm package. Run by tools/test-browser after
// the Chromium test, on the same server (whose corpus then holds the models and reports that test
// made): each page's main action is performed and what the page shows is checked.
//   node --experimental-websocket firefox_test.mjs WS_URL BASE_URL SCREENSHOTS DATA
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [wsURL, base, shots, data] = process.argv.slice(2);
const failures = [];
const consoleErrors = [];
function check(name, ok, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} firefox: ${name}${!ok && detail !== undefined ? ` (${JSON.stringify(detail)})` : ""}`);
  if (!ok) failures.push(name);
}

const ws = new WebSocket(wsURL);
let lastId = 0;
const pending = new Map();
ws.onmessage = (message) => {
  const m = JSON.parse(message.data);
  if (m.id !== undefined && pending.has(m.id)) {
    const { resolve, reject } = pending.get(m.id);
    pending.delete(m.id);
    if (m.type === "error") reject(new Error(`${m.error}: ${m.message}`)); else resolve(m.result);
  } else if (m.method === "log.entryAdded" && m.params.level === "error") {
    consoleErrors.push(m.params.text);
  }
};
function send(method, params = {}) {
  return new Promise((resolve, reject) => {
    const id = ++lastId;
    pending.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params }));
  });
}
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });

await send("session.new", { capabilities: {} });
await send("session.subscribe", { events: ["log.entryAdded"] });
const { contexts } = await send("browsingContext.getTree", {});
const context = contexts[0].context;
await send("browsingContext.setViewport", { context, viewport: { width: 1280, height: 1000 } });

// Runs `body` (a function's source) in the page with `args`; returns its JSON value.
async function page(body, ...args) {
  const result = await send("script.callFunction", {
    functionDeclaration: body, awaitPromise: true, target: { context },
    arguments: args.map((a) => ({ type: "string", value: String(a) })),
  });
  if (result.type === "exception") throw new Error(result.exceptionDetails.text);
  return result.result.type === "string" ? JSON.parse(result.result.value) : null;
}
// Waits until `body` returns a truthy JSON value (polled in the page); returns it.
async function until(body, seconds = 60, ...args) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await page(`(...a) => JSON.stringify((${body})(...a))`, ...args);
    if (value || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}
async function open(path) {
  await send("browsingContext.navigate", { context, url: base + path, wait: "complete" });
}
async function setFile(selector, file) {
  const node = await send("script.evaluate", { expression: `document.querySelector(${JSON.stringify(selector)})`, awaitPromise: false, target: { context } });
  await send("input.setFiles", { context, element: { sharedId: node.result.sharedId }, files: [join(data, file)] });
}
async function shot(name) {
  const { data: png } = await send("browsingContext.captureScreenshot", { context, origin: "document" });
  writeFileSync(join(shots, `firefox-${name}.png`), Buffer.from(png, "base64"));
}
const fill = `(selector, value) => { const e = document.querySelector(selector); e.value = value; e.dispatchEvent(new Event("change")); return JSON.stringify(true); }`;
const click = `(selector) => { document.querySelector(selector).click(); return JSON.stringify(true); }`;

try {
  await open("/");
  check("home lists the seven tools", await until(`() => document.querySelectorAll(".tool").length === 7`, 10));

  await open("/vignettes");
  await page(fill, "#vignette-model", "vignettes");
  await page(fill, "#vignette-text", "I have had a high fever with chills and sweating every other day, a bad headache and I keep vomiting");
  await page(click, "#vignette-form button[type=submit]");
  const ranked = await until(`() => document.querySelectorAll("#vignette-result .ranked li").length`);
  check("vignettes: five ranked diagnoses", ranked === 5, ranked);
  check("vignettes: the words that moved them are marked", await until(`() => document.querySelectorAll("#vignette-result mark").length > 0`, 5));
  await shot("vignettes");

  await open("/reports");
  await page(fill, "#report-scheme", "chexpert");
  await page(fill, "#report-text", "FINDINGS: The heart is enlarged. No pneumothorax. There may be a small left pleural effusion.");
  await page(click, "#report-form button[type=submit]");
  const chips = await until(`() => { const c = {}; for (const e of document.querySelectorAll("#report-result .chip")) c[e.textContent] = e.className; return Object.keys(c).length ? c : null; }`);
  check("reports: present, absent and uncertain findings", chips && chips["Cardiomegaly"]?.includes("positive") && chips["Pneumothorax"]?.includes("negative")
    && chips["Pleural Effusion"]?.includes("uncertain"), chips);
  await shot("reports");

  await open("/review");
  await page(fill, "#review-reader", "Reader F");
  await page(click, "#review-filter button[type=submit]");
  await until(`() => document.querySelectorAll("#review-table tbody tr").length > 0`);
  await page(click, "#review-table tbody tr");
  await until(`() => document.querySelectorAll("#review-form select").length > 0`);
  await page(click, "#review-accept");
  const kappa = await until(`() => { for (const r of document.querySelectorAll("#agreement-table tbody tr")) if (r.dataset.pair === "Reader F|rules") return r.querySelector("td.kappa").textContent; return null; }`, 20);
  check("review: a reader's accepted labels agree with the rules", kappa === "1.000", kappa);
  await shot("review");

  await open("/tb");
  await setFile("#tb-files", "example.vcf");
  await page(click, "#tb-form button[type=submit]");
  const calls = await until(`() => { const c = {}; for (const r of document.querySelectorAll("#tb-result tbody tr")) c[r.cells[0].textContent] = r.cells[1].textContent; return Object.keys(c).length ? c : null; }`);
  check("tb: rifampicin resistant in the example VCF", calls?.Rifampicin === "R", calls);
  await shot("tb");

  await open("/images");
  await page(fill, "#image-model", "xray");
  await setFile("#image-file", "image.png");
  await page(click, "#image-form button[type=submit]");
  const probabilities = await until(`() => { const p = [...document.querySelectorAll("#image-result .prob")].map((e) => Number(e.textContent)); return p.length ? p : null; }`);
  check("images: a probability per class", probabilities?.length === 2 && Math.abs(probabilities[0] + probabilities[1] - 1) < 0.01, probabilities);
  check("images: the ROC curve is drawn", await until(`() => document.getElementById("image-roc").naturalWidth > 0`, 10));
  await shot("images");

  await open("/models");
  check("models: the cards' charts are drawn", await until(`() => { const c = [...document.querySelectorAll("img.chart")]; return c.length >= 2 && c.every((i) => i.complete && i.naturalWidth > 0); }`, 10));
  await shot("models");

  await open("/jobs");
  check("jobs: the jobs are listed", await until(`() => document.querySelectorAll("#jobs-result .job").length >= 3`, 10));
  await shot("jobs");

  // The offline page (/offline/, issue 14): the runtime in a Firefox worker under the page's own
  // policy. The image model's Conv2D must run in the WebAssembly SIMD kernel, and image.png picked as
  // a user would must get every probability within 1e-5 relative of the server's (Swift's) answer.
  await open("/offline/");
  check("offline: the page gets ready", await until(`() => document.body.dataset.ready === "true" || document.getElementById("status").className === "error"`, 60)
    && await page(`() => JSON.stringify(document.body.dataset.ready === "true")`), await page(`() => JSON.stringify(document.getElementById("status").textContent)`));
  const offlineModels = await page(`() => JSON.stringify(self.TRIAGE_OFFLINE.models.map((m) => [m.folder, m.config.kind]))`);
  const kernels = await page(`() => JSON.stringify((document.body.dataset.kernels || "").split(","))`);
  const imageIndex = offlineModels.findIndex(([, kind]) => kind === "image");
  check("offline: the served image model is in the page", imageIndex >= 0, offlineModels);
  if (imageIndex >= 0) {
    check("offline: the image model runs a WebAssembly SIMD kernel", ["wasm-simd", "wasm-fma"].includes(kernels[imageIndex]), kernels);
    await page(fill, "#model", String(imageIndex));
    await page(fill, "#top", "10");
    await setFile("#file", "image.png");
    const shown = await until(`() => { const p = {}; for (const li of document.querySelectorAll("#predictions li")) p[li.dataset.label] = Number(li.dataset.probability); return Object.keys(p).length && document.getElementById("timing") ? p : null; }`, 30);
    const form = new FormData();
    form.append("model", offlineModels[imageIndex][0]);
    form.append("file", new Blob([readFileSync(join(data, "image.png"))], { type: "image/png" }), "image.png");
    const expected = (await (await fetch(base + "/api/images/predict", { method: "POST", body: form })).json()).probabilities;
    const worst = shown && expected ? Math.max(...Object.entries(expected).map(([k, v]) => Math.abs((shown[k] ?? Infinity) - v) / Math.max(Math.abs(v), 1e-12))) : Infinity;
    check("offline: image probabilities equal the server's within 1e-5 relative", worst <= 1e-5 && Object.keys(shown).length === Object.keys(expected).length,
      { worst, shown, expected });
    await shot("offline-image");
  }

  const errors = consoleErrors.filter((e) => !/favicon/.test(e));
  check("no console error", errors.length === 0, errors);
} catch (error) {
  check(`the run went through (${error.message})`, false);
}
await send("session.end", {}).catch(() => {});
ws.close();
console.log(failures.length ? `firefox: ${failures.length} failed` : "firefox: all checks passed");
process.exit(failures.length ? 1 : 0);
