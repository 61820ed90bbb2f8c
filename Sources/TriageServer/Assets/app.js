// Triage's pages: plain JavaScript, no framework, no build step. Each page's HTML comes from the
// server; this script wires its forms to the JSON API of the same server. Every text from the API
// is inserted as text (never as HTML).
"use strict";

const $ = (id) => document.getElementById(id);
const page = document.body.dataset.page;
const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value; else if (key === "text") node.textContent = value; else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// Every call goes to this server; a POST carries the page's CSRF token (the server checks it when
// the login cookie authenticates the call).
async function call(path, options) {
  options = Object.assign({ credentials: "same-origin" }, options);
  if ((options.method || "GET") !== "GET") options.headers = Object.assign({ "X-CSRF-Token": csrf }, options.headers || {});
  const response = await fetch(path, options);
  if (response.status === 401) { window.location.href = "/login"; throw new Error("log in first"); }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new Error((body && body.error) || `the server answered ${response.status}`);
  return body;
}

function postJSON(path, value) {
  return call(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(value) });
}

function showError(target, error) { target.replaceChildren(el("p", { class: "error", text: error.message || String(error) })); }
function busy(target, message) { target.replaceChildren(el("p", { class: "hint busy", text: message })); }
function fixed(x, digits) { return typeof x === "number" && isFinite(x) ? x.toFixed(digits) : "-"; }
function table(headers, rows, attrs) {
  return el("table", attrs || {}, el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { text: h })))), el("tbody", {}, ...rows));
}
function download(name, type, text) {
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link); link.click(); link.remove();
}
function duration(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return "";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
function remember(key, input) {
  const stored = localStorage.getItem(key);
  if (stored && !input.value) input.value = stored;
  input.addEventListener("change", () => localStorage.setItem(key, input.value));
}

// ---------------------------------------------------------------- vignettes
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

function rankedList(pairs) {
  const list = el("ol", { class: "ranked" });
  for (const [label, p] of pairs) {
    const bar = el("span"); bar.style.width = `${(100 * p).toFixed(1)}%`;
    list.append(el("li", {}, el("span", { class: "label", text: label }), el("div", { class: "bar" }, bar), el("span", { class: "prob", text: p.toFixed(3) })));
  }
  return list;
}

function initVignettes() {
  if (!$("vignette-model").options.length) {
    $("vignette-result").replaceChildren(el("p", { class: "warning", text: "No text model is served yet: train one on the Models page, or start the server with --model." }));
  }
  $("vignette-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("vignette-result"), text = $("vignette-text").value;
    busy(target, "Scoring ...");
    try {
      const answer = await postJSON("/api/vignettes/score", { text, model: $("vignette-model").value || undefined, top: Number($("vignette-top").value) || 5 });
      const nodes = [];
      if (answer.notice) nodes.push(el("p", { class: "error scope", text: answer.notice }));
      if (answer.warning) nodes.push(el("p", { class: "warning", text: answer.warning }));
      nodes.push(rankedList(answer.predictions.map((p) => [p.label, p.probability])));
      if (answer.predictions.length) {
        nodes.push(el("p", { class: "hint", text: `Words that moved "${answer.predictions[0].label}" (blue: towards it, struck through: away from it):` }));
        nodes.push(highlightWords(text, answer.explanation));
      }
      const scope = answer.scopeScore === undefined ? "" : `; scope score ${answer.scopeScore.toFixed(3)} (${answer.inScope ? "like" : "unlike"} the cases it was trained on)`;
      nodes.push(el("p", { class: "hint", text: `model ${answer.model}${scope}` }));
      target.replaceChildren(...nodes);
    } catch (e) { showError(target, e); }
  });
}

// ---------------------------------------------------------------- reports
const VALUE = { "1": "positive", "0": "negative", "-1": "uncertain" };
const SAID = { "1": "present", "0": "absent", "-1": "uncertain" };

// The text with each label's evidence marked; `labels` are [{observation, value, evidence: [{start, end, rule}]}],
// offsets in code points (as Array.from splits a string).
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
    const names = same.map((s) => `${s.label.observation}: ${SAID[String(s.label.value)]} (rule ${s.evidence.rule})`).join("\n");
    out.append(el("mark", { class: VALUE[String(span.label.value)], title: names, "data-observation": same.map((s) => s.label.observation).join(","),
      text: chars.slice(span.start, span.end).join("") }));
    at = span.end;
  }
  out.append(chars.slice(at).join(""));
  return out;
}

function chips(labels) {
  const row = el("p", { class: "chips" });
  for (const l of labels) row.append(el("span", { class: `chip ${VALUE[String(l.value)]}`, title: SAID[String(l.value)], text: l.observation }), " ");
  if (!labels.length) row.append(el("span", { class: "hint", text: "The rules found no finding of this scheme." }));
  return row;
}

// Follows a job with server-sent events, drawing it into `target`; `done` hears its final status.
function followJob(id, target, done) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events`);
  let status = null;
  const draw = () => { if (status) target.replaceChildren(jobCard(status)); };
  source.addEventListener("status", (e) => {
    status = JSON.parse(e.data); draw();
    if (["done", "failed", "cancelled", "interrupted"].includes(status.state)) { source.close(); if (done) done(status); }
  });
  source.addEventListener("progress", (e) => { if (status) { status.progress = JSON.parse(e.data); draw(); } });
  source.addEventListener("log", (e) => { if (status) { status.log.push(JSON.parse(e.data)); if (status.log.length > 300) status.log.shift(); draw(); } });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED && !status) showError(target, new Error("lost the job's progress; see the Jobs page")); };
  return source;
}

function initReports() {
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
      target.replaceChildren(chips(answer.labels), highlightEvidence(text, answer.labels), el("p", { class: "hint", text: `scheme ${answer.scheme}, rules ${answer.rules}` }));
    } catch (e) { showError(target, e); }
  });
  $("mine-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("mine-result"), files = $("mine-files").files;
    if (!files.length) { showError(target, new Error("Choose report files first.")); return; }
    const form = new FormData();
    form.append("kind", "mine");
    form.append("scheme", $("mine-scheme").value);
    form.append("format", $("mine-format").value);
    form.append("textColumn", $("mine-text-column").value);
    form.append("idColumn", $("mine-id-column").value);
    for (const file of files) form.append("file", file, file.name);
    busy(target, `Uploading ${files.length} file(s) ...`);
    try {
      const job = await call("/api/jobs", { method: "POST", body: form });
      followJob(job.id, target);
    } catch (e) { showError(target, e); }
  });
}

// ---------------------------------------------------------------- review
function initReview() {
  const reader = $("review-reader"), scheme = $("review-scheme");
  remember("triage.reader", reader);
  let offset = 0, current = null, list = null;
  const limit = 20;

  function query(extra) {
    const q = new URLSearchParams(Object.assign({ reader: reader.value.trim(), scheme: scheme.value }, extra || {}));
    return q.toString();
  }
  function exportLinks() {
    const base = { scheme: scheme.value, format: "csv" };
    $("export-mine").href = `/api/review/export?${new URLSearchParams(Object.assign({ source: "human", reader: reader.value.trim() }, base))}`;
    $("export-human").href = `/api/review/export?${new URLSearchParams(Object.assign({ source: "human" }, base))}`;
    $("export-rules").href = `/api/review/export?${new URLSearchParams(Object.assign({ source: "rules" }, base))}`;
  }

  async function loadList() {
    const target = $("review-list");
    if (!reader.value.trim()) { showError(target, new Error("Type your name first: your labels are stored under it.")); return; }
    busy(target, "Loading ...");
    exportLinks();
    try {
      const filters = { offset, limit };
      if ($("review-observation").value) filters.observation = $("review-observation").value;
      if ($("review-observation").value && $("review-value").value) filters.value = $("review-value").value;
      if ($("review-unreviewed").checked) filters.unreviewed = "true";
      list = await call(`/api/review?${query(filters)}`);
      const select = $("review-observation"), chosen = select.value;
      if (select.options.length <= 1) for (const o of list.observations) select.append(el("option", { value: o, text: o }));
      select.value = chosen;
      if (!list.total) { target.replaceChildren(el("p", { class: "hint", text: "No report matches. Mine reports on the Reports page first, or widen the filter." })); return; }
      const rows = list.documents.map((d) => {
        const row = el("tr", { class: "clickable", tabindex: "0", "data-document": String(d.documentId) },
          el("td", { text: d.externalId }), el("td", { text: d.snippet.replace(/\s+/g, " ").slice(0, 110) + (d.snippet.length > 110 ? " …" : "") }),
          el("td", {}, ...Object.entries(d.rules).filter(([, v]) => v !== 0).map(([o, v]) => el("span", { class: `chip ${VALUE[String(v)]}`, text: o }))),
          el("td", { class: "reviewed", text: d.reviewed ? "reviewed" : "" }));
        const open = () => openDocument(d.documentId);
        row.addEventListener("click", open);
        row.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
        return row;
      });
      const pager = el("div", { class: "row" });
      const previous = el("button", { type: "button", text: "Previous" }), next = el("button", { type: "button", text: "Next" });
      previous.disabled = offset === 0; next.disabled = offset + limit >= list.total;
      previous.addEventListener("click", () => { offset = Math.max(0, offset - limit); loadList(); });
      next.addEventListener("click", () => { offset += limit; loadList(); });
      pager.append(previous, el("span", { class: "hint", text: `reports ${offset + 1}-${offset + list.documents.length} of ${list.total}` }), next);
      target.replaceChildren(table(["report", "text", "the rules found", ""], rows, { id: "review-table" }), pager);
    } catch (e) { showError(target, e); }
  }

  async function openDocument(id) {
    const target = $("review-document");
    busy(target, "Opening the report ...");
    try {
      current = await call(`/api/review/documents/${id}?${query()}`);
      drawDocument();
      target.scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (e) { showError(target, e); }
  }

  function drawDocument() {
    const d = current, target = $("review-document");
    const rules = new Map(d.rules.map((l) => [l.observation, l.value]));
    const reviewed = Object.keys(d.labels).length > 0;
    const rows = d.observations.map((o) => {
      const select = el("select", { "data-observation": o, "aria-label": `your label for ${o}` },
        el("option", { value: "", text: "not mentioned" }), el("option", { value: "1", text: "present" }),
        el("option", { value: "0", text: "absent" }), el("option", { value: "-1", text: "uncertain" }));
      const mine = reviewed ? d.labels[o] : rules.get(o);
      select.value = mine === undefined ? "" : String(mine);
      const ruleValue = rules.get(o);
      return el("tr", {}, el("td", { text: o }),
        el("td", {}, ruleValue === undefined ? el("span", { class: "hint", text: "-" }) : el("span", { class: `chip ${VALUE[String(ruleValue)]}`, text: SAID[String(ruleValue)] })),
        el("td", {}, select));
    });
    const accept = el("button", { type: "button", id: "review-accept", text: "Accept the rules' labels" });
    const save = el("button", { type: "submit", id: "review-save", text: "Save my labels" });
    const form = el("form", { id: "review-form" }, table(["finding", "the rules", "your label"], rows), el("div", { class: "row" }, save, accept));
    accept.addEventListener("click", () => submit(Object.fromEntries(d.rules.map((l) => [l.observation, l.value]))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const labels = {};
      for (const s of form.querySelectorAll("select[data-observation]")) if (s.value !== "") labels[s.dataset.observation] = Number(s.value);
      submit(labels);
    });
    const state = reviewed ? el("p", { class: "saved", text: `You reviewed this report${d.labelledAt ? " on " + new Date(d.labelledAt).toLocaleString() : ""}.` })
      : el("p", { class: "hint", text: "Not reviewed by you yet: the menus start at the rules' labels." });
    target.replaceChildren(el("h2", { text: `Report ${d.externalId}` }), el("p", { class: "hint", text: `from ${d.source}` }),
      chips(d.rules.filter((l) => l.value !== 0 || l.evidence.length)), highlightEvidence(d.text, d.rules), state, form);
  }

  async function submit(labels) {
    try {
      current = await postJSON("/api/review/labels", { scheme: scheme.value, documentId: current.documentId, reader: reader.value.trim(), labels });
      drawDocument();
      loadAgreement();
      loadList();
    } catch (e) { $("review-document").prepend(el("p", { class: "error", text: e.message })); }
  }

  async function loadAgreement() {
    const target = $("review-agreement");
    try {
      const a = await call(`/api/review/agreement?${new URLSearchParams({ scheme: scheme.value })}`);
      if (!a.readers.length) { target.replaceChildren(el("p", { class: "hint", text: "No reader has reviewed a report of this scheme yet." })); return; }
      const rows = a.pairs.map((p) => {
        const details = Object.entries(p.observations).filter(([, k]) => k !== null).map(([o, k]) => `${o} ${k.toFixed(2)}`).join(", ");
        return el("tr", { "data-pair": `${p.first}|${p.second}` }, el("td", { text: p.first }), el("td", { text: p.second }), el("td", { text: String(p.documents) }),
          el("td", { class: "kappa", text: fixed(p.kappa, 3) }), el("td", { text: fixed(p.agreement, 3) }), el("td", { class: "hint", text: details }));
      });
      target.replaceChildren(el("p", { class: "hint", text: a.readers.map((r) => `${r.name}: ${r.documents} report(s)`).join("; ") }),
        table(["reader", "with", "reports", "kappa", "agreement", "kappa per finding"], rows, { id: "agreement-table" }));
    } catch (e) { showError(target, e); }
  }

  $("review-filter").addEventListener("submit", (e) => { e.preventDefault(); offset = 0; loadList(); });
  scheme.addEventListener("change", () => {
    $("review-observation").replaceChildren(el("option", { value: "", text: "any" }));
    offset = 0; loadAgreement(); exportLinks();
  });
  reader.addEventListener("change", exportLinks);
  exportLinks();
  loadAgreement();
  if (reader.value.trim()) loadList();
}

// ---------------------------------------------------------------- tuberculosis
const FIRST = ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide", "Levofloxacin", "Moxifloxacin", "Bedaquiline", "Linezolid"];
function drugOrder(a, b) {
  const ia = FIRST.indexOf(a), ib = FIRST.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

function sampleReport(p) {
  const rows = Object.keys(p.drugs).sort(drugOrder).map((drug) => {
    const c = p.drugs[drug];
    const evidence = c.evidence.map((e) => `${e.gene} ${e.change} (${e.grading}, allele fraction ${fixed(e.alleleFraction, 2)})`).join("; ") || "-";
    return el("tr", {}, el("td", { text: drug }), el("td", { class: `call-${c.call}`, text: c.call }), el("td", { text: fixed(c.probability, 2) }), el("td", { text: evidence }));
  });
  return el("div", { class: "sample" }, el("h3", { class: "class", text: `${p.sample}: ${p.resistanceClass}` }),
    table(["drug", "call", "probability", "evidence (WHO grading, allele fraction)"], rows));
}

function batchTable(results) {
  const drugs = [...new Set(results.flatMap((p) => Object.keys(p.drugs)))].sort(drugOrder);
  const rows = results.map((p) => el("tr", {}, el("td", { text: p.sample }), el("td", { text: p.resistanceClass }),
    ...drugs.map((d) => el("td", { class: `call-${(p.drugs[d] || {}).call || ""}`, text: (p.drugs[d] || {}).call || "-" }))));
  return el("table", { id: "tb-batch" }, el("thead", {}, el("tr", {}, el("th", { text: "sample" }), el("th", { text: "class" }),
    ...drugs.map((d) => el("th", { text: d.slice(0, 3).toUpperCase(), title: d })))), el("tbody", {}, ...rows));
}

function initTB() {
  let files = [], results = [];
  const choose = (list) => {
    files = Array.from(list);
    $("tb-chosen").textContent = files.length ? `${files.length} file(s): ${files.map((f) => f.name).join(", ")}` : "";
  };
  $("tb-files").addEventListener("change", () => choose($("tb-files").files));
  const drop = $("tb-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); choose(e.dataTransfer.files); });
  $("tb-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("tb-result");
    if (!files.length) { showError(target, new Error("Choose or drop VCF / FASTA files first.")); return; }
    results = [];
    const errors = [];
    // A few files per request, so that one bad file does not hide the others and progress shows.
    for (let i = 0; i < files.length; i += 8) {
      busy(target, `Reading files ${i + 1}-${Math.min(files.length, i + 8)} of ${files.length} ...`);
      const form = new FormData();
      for (const file of files.slice(i, i + 8)) form.append("file", file, file.name);
      if ($("tb-model").value) form.append("model", $("tb-model").value);
      try { results.push(...await call("/api/tb/resist", { method: "POST", body: form })); } catch (e) {
        // Try the files of a failed batch one by one, to name the bad one.
        for (const file of files.slice(i, i + 8)) {
          const one = new FormData();
          one.append("file", file, file.name);
          if ($("tb-model").value) one.append("model", $("tb-model").value);
          try { results.push(...await call("/api/tb/resist", { method: "POST", body: one })); } catch (e2) { errors.push(e2.message); }
        }
      }
    }
    const nodes = errors.map((m) => el("p", { class: "error", text: m }));
    if (results.length === 1) nodes.push(sampleReport(results[0]));
    else if (results.length > 1) nodes.push(batchTable(results), ...results.map(sampleReport));
    target.replaceChildren(...nodes);
    $("tb-csv").disabled = $("tb-json").disabled = !results.length;
  });
  $("tb-json").addEventListener("click", () => download("resistance.json", "application/json", JSON.stringify(results, null, 1) + "\n"));
  $("tb-csv").addEventListener("click", () => {
    const quote = (s) => /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    const lines = ["sample,resistanceClass,drug,call,probability,evidence"];
    for (const p of results) for (const d of Object.keys(p.drugs).sort(drugOrder)) {
      const c = p.drugs[d];
      lines.push([p.sample, p.resistanceClass, d, c.call, fixed(c.probability, 3), c.evidence.map((e) => `${e.gene} ${e.change}`).join("; ")].map(quote).join(","));
    }
    download("resistance.csv", "text/csv", lines.join("\n") + "\n");
  });
}

// ---------------------------------------------------------------- images
function initImages() {
  const showROC = () => {
    const name = $("image-model").value, img = $("image-roc");
    $("image-roc-missing").classList.add("hidden");
    if (!name) { img.classList.add("hidden"); return; }
    img.onload = () => img.classList.remove("hidden");
    img.onerror = () => { img.classList.add("hidden"); $("image-roc-missing").classList.remove("hidden"); };
    img.src = `/api/models/${encodeURIComponent(name)}/roc.svg`;
  };
  $("image-model").addEventListener("change", showROC);
  showROC();
  if (!$("image-model").options.length) {
    $("image-result").replaceChildren(el("p", { class: "warning", text: "No image model is served yet: train one on the Models page, or start the server with --model." }));
  }
  let file = null;
  const choose = (chosen) => {
    file = chosen || null;
    const preview = $("image-preview");
    $("image-chosen").textContent = file ? file.name : "";
    const showable = file && /\.(png|jpe?g|gif|bmp|webp)$/i.test(file.name);
    preview.classList.toggle("hidden", !showable);
    if (showable) preview.src = URL.createObjectURL(file);
  };
  $("image-file").addEventListener("change", () => choose($("image-file").files[0]));
  const drop = $("image-drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); choose(e.dataTransfer.files[0]); });
  $("image-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("image-result");
    if (!file) { showError(target, new Error("Choose or drop an image first.")); return; }
    busy(target, "Predicting ...");
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      if ($("image-model").value) form.append("model", $("image-model").value);
      const answer = await call("/api/images/predict", { method: "POST", body: form });
      const pairs = Object.entries(answer.probabilities).sort((a, b) => b[1] - a[1]).map(([label, p]) => [`class ${label}`, p]);
      target.replaceChildren(rankedList(pairs), el("p", { class: "hint", text: `model ${answer.model}` }));
    } catch (e) { showError(target, e); }
  });
}

// ---------------------------------------------------------------- models
function initModels() {
  const kind = $("train-kind");
  const shape = () => {
    $("train-task-label").classList.toggle("hidden", kind.value === "train-resistance");
    $("train-scheme-label").classList.toggle("hidden", kind.value !== "train-text");
  };
  kind.addEventListener("change", shape);
  shape();
  $("train-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const target = $("train-result");
    const body = { kind: kind.value, name: $("train-name").value.trim() };
    if ($("train-task").value.trim() && kind.value !== "train-resistance") body.task = $("train-task").value.trim();
    if (kind.value === "train-text" && $("train-scheme").value) body.scheme = $("train-scheme").value;
    if ($("train-epochs").value) body.epochs = Number($("train-epochs").value);
    busy(target, "Submitting ...");
    try {
      const job = await postJSON("/api/jobs", body);
      followJob(job.id, target, (status) => { if (status.state === "done") target.append(el("p", { class: "hint" }, el("a", { href: "/models", text: "Reload to see the new model" }))); });
    } catch (e) { showError(target, e); }
  });
  call("/api/corpus").then((info) => {
    const rows = Object.keys(info.tables).sort().map((t) => el("tr", {}, el("td", { text: t }), el("td", { class: "number", text: String(info.tables[t]) })));
    $("corpus-result").replaceChildren(el("p", { class: "hint", text: info.path }), table(["table", "rows"], rows));
  }).catch((e) => showError($("corpus-result"), e));
}

// ---------------------------------------------------------------- jobs
function jobCard(job) {
  const p = job.progress;
  const nodes = [el("h3", {}, el("span", { class: `state state-${job.state}`, text: job.state }), " ", job.title)];
  const when = [`submitted ${new Date(job.createdAt).toLocaleString()}`];
  if (job.finishedAt) when.push(`ended ${new Date(job.finishedAt).toLocaleString()}`);
  nodes.push(el("p", { class: "hint", text: when.join(", ") }));
  if (p) {
    const bar = el("span");
    if (p.total) bar.style.width = `${Math.min(100, (100 * p.done) / p.total).toFixed(1)}%`; else bar.classList.add("indeterminate");
    const rate = p.rate ? `${p.rate.toFixed(p.rate < 10 ? 1 : 0)} ${p.unit}/s` : "";
    const left = p.remaining !== undefined && job.state === "running" ? `, about ${duration(p.remaining)} left` : "";
    nodes.push(el("div", { class: "bar wide" }, bar),
      el("p", { class: "hint progress", text: `${p.stage}: ${p.done}${p.total ? " of " + p.total : ""} ${p.unit}${rate ? ", " + rate : ""}${left}` }));
  }
  const epochs = job.log.filter((l) => l.kind === "epoch");
  if (epochs.length) {
    const e = epochs[epochs.length - 1].epoch;
    const validation = Object.entries(e.validation || {}).map(([k, v]) => `validation ${k} ${fixed(v, 4)}`).join(", ");
    nodes.push(el("p", { class: "hint progress", text: `member ${e.member} of ${e.members}, epoch ${e.epoch} of at most ${e.epochs}: loss ${fixed(e.loss, 4)}${validation ? ", " + validation : ""}` }));
  }
  const lines = job.log.filter((l) => l.kind !== "epoch").slice(-8);
  if (lines.length) nodes.push(el("ul", { class: "log" }, ...lines.map((l) => el("li", { class: l.kind, text: l.message }))));
  if (job.error) nodes.push(el("p", { class: "error", text: job.error }));
  if (job.summary) nodes.push(el("pre", { class: "summary", text: job.summary }));
  const actions = el("div", { class: "row" });
  if (job.state === "queued" || job.state === "running") actions.append(jobButton(job, "cancel", "Stop"));
  if (job.state === "interrupted" || job.state === "failed" || job.state === "cancelled") actions.append(jobButton(job, "restart", "Start again"));
  if (job.state === "interrupted") actions.append(jobButton(job, "cancel", "Discard"));
  if (actions.childNodes.length) nodes.push(actions);
  return el("article", { class: "job", "data-job": job.id, "data-state": job.state }, ...nodes);
}

function jobButton(job, action, label) {
  const button = el("button", { type: "button", text: label, "data-action": action });
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await call(`/api/jobs/${encodeURIComponent(job.id)}/${action}`, { method: "POST" });
      if (page === "jobs") loadJobs();
    } catch (e) { button.after(el("span", { class: "error", text: e.message })); }
  });
  return button;
}

let following = new Map();
async function loadJobs() {
  const target = $("jobs-result");
  try {
    const { jobs } = await call("/api/jobs");
    if (!jobs.length) { target.replaceChildren(el("p", { class: "hint", text: "No job yet: mine an archive on the Reports page, or train a model on the Models page." })); return; }
    for (const source of following.values()) source.close();
    following = new Map();
    target.replaceChildren(...jobs.map((job) => {
      const holder = el("div", { class: "job-holder" }, jobCard(job));
      if (job.state === "queued" || job.state === "running") following.set(job.id, followJob(job.id, holder, () => setTimeout(loadJobs, 500)));
      return holder;
    }));
  } catch (e) { showError(target, e); }
}

// ---------------------------------------------------------------- start
const init = { vignettes: initVignettes, reports: initReports, review: initReview, tb: initTB, images: initImages, models: initModels, jobs: loadJobs };
if (init[page]) init[page]();
