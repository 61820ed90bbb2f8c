// Triage's pages: plain JavaScript, no framework, no build step. Everything shown comes from the
// JSON API of this server, and every text is inserted as text (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value; else if (key === "text") node.textContent = value; else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

async function call(path, options) {
  const response = await fetch(path, Object.assign({ credentials: "same-origin" }, options));
  if (response.status === 401) { window.location.href = "/login"; throw new Error("log in first"); }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error((body && body.error) || `the server answered ${response.status}`);
  return body;
}

function postJSON(path, value) {
  return call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
}

function showError(target, error) {
  target.replaceChildren(el("p", { class: "error", text: error.message || String(error) }));
}

function busy(target, message) { target.replaceChildren(el("p", { class: "hint", text: message })); }

// Tabs.
for (const button of document.querySelectorAll("#tabs button")) {
  button.addEventListener("click", () => {
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b === button);
    for (const s of document.querySelectorAll(".tab")) s.classList.toggle("active", s.id === button.dataset.tab);
    if (button.dataset.tab === "models") loadModels();
  });
}

// Model menus, filled from /api/models.
let models = [];
async function loadModelMenus() {
  try { models = (await call("/api/models")).models; } catch (e) { models = []; }
  const fill = (select, kind, keepFirst) => {
    const first = keepFirst ? select.options[0] : null;
    select.replaceChildren();
    if (first) select.append(first);
    for (const m of models.filter((m) => m.kind === kind)) select.append(el("option", { value: m.name, text: `${m.name} (${m.task})` }));
    if (!select.options.length) select.append(el("option", { value: "", text: `no ${kind} model served` }));
  };
  fill($("vignette-model"), "text", false);
  fill($("image-model"), "image", false);
  fill($("tb-model"), "resistance", true);
}

// Vignettes.
function fold(word) { return word.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }

function highlightWords(text, explanation) {
  const weights = new Map(explanation.map((w) => [fold(w.word), w.weight]));
  const out = el("div", { class: "text" });
  let last = 0;
  for (const match of text.matchAll(/[\p{L}\p{N}]+(?:[.'/-][\p{L}\p{N}]+)*/gu)) {
    out.append(text.slice(last, match.index));
    const weight = weights.get(fold(match[0]));
    if (weight === undefined || Math.abs(weight) < 0.005) out.append(match[0]);
    else out.append(el("mark", { class: weight > 0 ? "up" : "down", title: `${weight > 0 ? "+" : ""}${weight.toFixed(3)}`, text: match[0] }));
    last = match.index + match[0].length;
  }
  out.append(text.slice(last));
  return out;
}

$("vignette-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const target = $("vignette-result"), text = $("vignette-text").value;
  busy(target, "Scoring ...");
  try {
    const answer = await postJSON("/api/vignettes/score", { text, model: $("vignette-model").value || undefined, top: Number($("vignette-top").value) || 5 });
    const list = el("ol", { class: "ranked" });
    for (const p of answer.predictions) {
      const bar = el("span"); bar.style.width = `${(100 * p.probability).toFixed(1)}%`;
      list.append(el("li", {}, el("span", { text: p.label }), el("div", { class: "bar" }, bar), el("span", { class: "prob", text: p.probability.toFixed(3) })));
    }
    const nodes = [list];
    if (answer.warning) nodes.unshift(el("p", { class: "warning", text: answer.warning }));
    if (answer.predictions.length) {
      nodes.push(el("p", { class: "hint", text: `Words that moved "${answer.predictions[0].label}" (blue: for it, grey: against it):` }));
      nodes.push(highlightWords(text, answer.explanation));
    }
    target.replaceChildren(...nodes);
  } catch (e) { showError(target, e); }
});

// Reports.
const VALUE = { "1": "positive", "0": "negative", "-1": "uncertain" };

function highlightEvidence(text, labels) {
  const chars = Array.from(text);
  const spans = [];
  for (const label of labels) for (const e of label.evidence) spans.push({ start: e.start, end: e.end, label, evidence: e });
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = el("div", { class: "text" });
  let at = 0;
  for (const span of spans) {
    if (span.start < at) continue;  // one mark per stretch of text; the chips list every label
    out.append(chars.slice(at, span.start).join(""));
    const same = spans.filter((s) => s.start === span.start && s.end === span.end);
    const names = same.map((s) => `${s.label.observation}: ${VALUE[String(s.label.value)]} (rule ${s.evidence.rule})`).join("\n");
    out.append(el("mark", { class: VALUE[String(span.label.value)], title: names, text: chars.slice(span.start, span.end).join("") }));
    at = span.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

$("report-file").addEventListener("change", async () => {
  const file = $("report-file").files[0];
  if (file) $("report-text").value = await file.text();
});

$("report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const target = $("report-result"), text = $("report-text").value;
  busy(target, "Labelling ...");
  try {
    const answer = await postJSON("/api/reports/label", { text, scheme: $("report-scheme").value });
    const chips = el("p");
    for (const l of answer.labels) chips.append(el("span", { class: `chip ${VALUE[String(l.value)]}`, text: l.observation }), " ");
    if (!answer.labels.length) chips.append(el("span", { class: "hint", text: "The rules found no finding of this scheme." }));
    target.replaceChildren(chips, highlightEvidence(text, answer.labels), el("p", { class: "hint", text: `scheme ${answer.scheme}, rules ${answer.rules}` }));
  } catch (e) { showError(target, e); }
});

// Tuberculosis.
let tbFiles = [], tbResults = [];
const FIRST = ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide", "Levofloxacin", "Moxifloxacin", "Bedaquiline", "Linezolid"];
function drugOrder(a, b) {
  const ia = FIRST.indexOf(a), ib = FIRST.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}
function chooseTB(files) {
  tbFiles = Array.from(files);
  $("tb-chosen").textContent = tbFiles.length ? `${tbFiles.length} file(s): ${tbFiles.map((f) => f.name).join(", ")}` : "";
}
$("tb-files").addEventListener("change", () => chooseTB($("tb-files").files));
const drop = $("tb-drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); chooseTB(e.dataTransfer.files); });

function sampleReport(p) {
  const rows = Object.keys(p.drugs).sort(drugOrder).map((drug) => {
    const c = p.drugs[drug];
    const evidence = c.evidence.map((e) => `${e.gene} ${e.change} (${e.grading}, ${e.alleleFraction.toFixed(2)})`).join("; ") || "-";
    return el("tr", {}, el("td", { text: drug }), el("td", { class: `call-${c.call}`, text: c.call }), el("td", { text: c.probability.toFixed(2) }), el("td", { text: evidence }));
  });
  return el("div", {}, el("h3", { class: "class", text: `${p.sample}: ${p.resistanceClass}` }),
    el("table", {}, el("thead", {}, el("tr", {}, ...["drug", "call", "P", "evidence (grading, allele fraction)"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows)));
}

function batchTable(results) {
  const drugs = [...new Set(results.flatMap((p) => Object.keys(p.drugs)))].sort(drugOrder);
  const head = el("tr", {}, el("th", { text: "sample" }), el("th", { text: "class" }), ...drugs.map((d) => el("th", { text: d.slice(0, 3).toUpperCase(), title: d })));
  const body = results.map((p) => el("tr", {}, el("td", { text: p.sample }), el("td", { text: p.resistanceClass }),
    ...drugs.map((d) => el("td", { class: `call-${(p.drugs[d] || {}).call || ""}`, text: (p.drugs[d] || {}).call || "-" }))));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...body));
}

$("tb-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const target = $("tb-result");
  if (!tbFiles.length) { showError(target, new Error("Choose or drop VCF / FASTA files first.")); return; }
  busy(target, `Reading ${tbFiles.length} file(s) ...`);
  tbResults = [];
  const errors = [];
  for (const file of tbFiles) {
    const form = new FormData();
    form.append("file", file, file.name);
    if ($("tb-model").value) form.append("model", $("tb-model").value);
    try { tbResults.push(...await call("/api/tb/resist", { method: "POST", body: form })); } catch (e) { errors.push(`${file.name}: ${e.message}`); }
  }
  const nodes = errors.map((m) => el("p", { class: "error", text: m }));
  if (tbResults.length === 1) nodes.push(sampleReport(tbResults[0]));
  else if (tbResults.length > 1) nodes.push(batchTable(tbResults), ...tbResults.map(sampleReport));
  target.replaceChildren(...nodes);
  $("tb-csv").disabled = $("tb-json").disabled = !tbResults.length;
});

function download(name, type, text) {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link); link.click(); link.remove();
}
$("tb-json").addEventListener("click", () => download("resistance.json", "application/json", tbResults.map((p) => JSON.stringify(p)).join("\n") + "\n"));
$("tb-csv").addEventListener("click", () => {
  const quote = (s) => /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  const lines = ["sample,resistanceClass,drug,call,probability,evidence"];
  for (const p of tbResults) for (const d of Object.keys(p.drugs).sort(drugOrder)) {
    const c = p.drugs[d];
    lines.push([p.sample, p.resistanceClass, d, c.call, c.probability.toFixed(3), c.evidence.map((e) => `${e.gene} ${e.change}`).join("; ")].map(quote).join(","));
  }
  download("resistance.csv", "text/csv", lines.join("\n") + "\n");
});

// Images.
$("image-file").addEventListener("change", () => {
  const file = $("image-file").files[0], preview = $("image-preview");
  const showable = file && /\.(png|jpe?g|gif|bmp|webp)$/i.test(file.name);
  preview.classList.toggle("hidden", !showable);
  if (showable) preview.src = URL.createObjectURL(file);
});
$("image-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const target = $("image-result"), file = $("image-file").files[0];
  if (!file) return;
  busy(target, "Predicting ...");
  try {
    const form = new FormData();
    form.append("file", file, file.name);
    if ($("image-model").value) form.append("model", $("image-model").value);
    const answer = await call("/api/images/predict", { method: "POST", body: form });
    const list = el("ol", { class: "ranked" });
    for (const [label, p] of Object.entries(answer.probabilities).sort((a, b) => b[1] - a[1])) {
      const bar = el("span"); bar.style.width = `${(100 * p).toFixed(1)}%`;
      list.append(el("li", {}, el("span", { text: `class ${label}` }), el("div", { class: "bar" }, bar), el("span", { class: "prob", text: p.toFixed(3) })));
    }
    target.replaceChildren(el("p", { class: "hint", text: `model ${answer.model}` }), list);
  } catch (e) { showError(target, e); }
});

// Models and corpus.
async function loadModels() {
  const target = $("models-result");
  try {
    models = (await call("/api/models")).models;
    if (!models.length) { target.replaceChildren(el("p", { class: "hint", text: "No model is served yet: train one with `triage train`, or start the server with --model." })); }
    else {
      const rows = models.map((m) => {
        const metrics = Object.entries(m.metrics || {}).filter(([k]) => /accuracy|auc|macro|loss/i.test(k)).slice(0, 6)
          .map(([k, v]) => `${k} ${Number(v).toFixed(3)}`).join(", ") || "-";
        const t = m.training || {};
        const data = t.source ? `${t.source}; ${t.trainExamples} train / ${t.validationExamples} validation / ${t.testExamples} test` : "-";
        return el("tr", {}, el("td", { text: m.name }), el("td", { text: m.kind }), el("td", { text: m.task }),
          el("td", { text: (t.labels || []).slice(0, 12).join(", ") + ((t.labels || []).length > 12 ? ", ..." : "") }), el("td", { text: data }), el("td", { text: metrics }));
      });
      target.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ...["name", "kind", "task", "answers", "trained on", "metrics"].map((h) => el("th", { text: h })))), el("tbody", {}, ...rows)));
    }
  } catch (e) { showError(target, e); }
  try {
    const info = await call("/api/corpus");
    const rows = Object.entries(info.tables).map(([t, n]) => el("tr", {}, el("td", { text: t }), el("td", { text: String(n) })));
    $("corpus-result").replaceChildren(el("p", { class: "hint", text: info.path }), el("table", {}, el("tbody", {}, ...rows)));
  } catch (e) { showError($("corpus-result"), e); }
}

loadModelMenus();
