// Triage offline runtime: the forward pass of exported Triage models, in plain JavaScript.
//
// Written by `triage export web` next to index.html and one folder per model (model.json and its
// weights). The same file runs in node and in a browser:
//
//   import { loadModel } from "./triage.js";
//   const m = await loadModel("s2d");            // a model folder: a path in node, a URL in a browser
//   m.score("fever, cough and chest pain", { top: 5 });   // [{label, probability}, ...] best first
//
// Everything here mirrors the Swift engine (Sources/Models/TextPreparation.swift, TextNetwork.swift,
// TextClassifier.swift and the Neural layers they use) and is checked against it to 1e-5 relative by
// Tests/Browser/export_web_test.mjs. Weights are float32 (or dequantised float16 / int8); sums run in
// float64, so the probabilities differ from the engine's float32 ones in the 7th digit.
//
// Legend: T tokens, S ids per token, D embedding size, F filters, K kernel width, H hidden size,
// C classes.
//
// Nothing in this file may contain the closing tag of a script element: index.html inlines it.

const FORMAT = "triage-web-model/1";
const SUPPORTED_KINDS = ["text"];

/** A model folder or file that cannot be used, with a message that says why. */
class TriageModelError extends Error {
  constructor(message) { super(message); this.name = "TriageModelError"; }
}

function fail(message) { throw new TriageModelError(message); }

// MARK: - Text preparation (TextPreparation.swift)

const PADDING_ID = 0;
const UNKNOWN_ID = 1;

/** The UTF-8 width of a Unicode scalar. */
function utf8Width(u) { return u < 0x80 ? 1 : u < 0x800 ? 2 : u < 0x10000 ? 3 : 4; }

/** Curly quotes, primes and dashes read as their ASCII forms (TextPreparation.asciiEquivalent). */
function asciiEquivalent(u) {
  switch (u) {
    case 0x2018: case 0x2019: case 0x2032: case 0x02BC: return 0x27;
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212: return 0x2D;
    case 0x201C: case 0x201D: return 0x22;
    case 0x00A0: case 0x2009: case 0x202F: return 0x20;
    default: return u;
  }
}

/** Whether `u` lies in one of the sorted, disjoint [first, last] pairs of `ranges` (a flat Uint32Array). */
function inRanges(ranges, u) {
  let lo = 0, hi = (ranges.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (u < ranges[2 * mid]) hi = mid - 1;
    else if (u > ranges[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The Unicode facts Swift's tokenizer relies on, as the exporting Swift measured them (so a
 * browser with another Unicode version still cuts words the same way):
 * - fold: what `String.folding([.caseInsensitive, .diacriticInsensitive, .widthInsensitive])` makes
 *   of each scalar alone (only the scalars it changes);
 * - nonbase: the combining marks folding attaches to the character before them;
 * - kept: what such a mark becomes when it is kept (decomposed, not folded), where not itself;
 * - ccc: the canonical combining class of scalars that have one, as [first, last, class];
 * - word: the non-ASCII scalars that are alphabetic or numeric (`isWordScalar`).
 */
class UnicodeTables {
  constructor(json) {
    if (json === null || typeof json !== "object") fail("unicode must be an object");
    const ranges = (name, width) => {
      const list = json[name];
      if (!Array.isArray(list) || list.length > 100000) fail(`unicode.${name} must be a list of ranges`);
      const flat = new Uint32Array(width * list.length);
      let previous = -1;
      list.forEach((r, i) => {
        if (!Array.isArray(r) || r.length !== width || !isScalarValue(r[0]) || !isScalarValue(r[1]) || r[0] > r[1] || r[0] <= previous
            || (width === 3 && !(Number.isInteger(r[2]) && r[2] >= 1 && r[2] <= 255))) {
          fail(`unicode.${name}[${i}] is not a range [first, last${width === 3 ? ", class" : ""}] of scalar values above the previous one`);
        }
        for (let j = 0; j < width; j++) flat[width * i + j] = r[j];
        previous = r[1];
      });
      return flat;
    };
    const mapping = (name) => {
      const object = json[name];
      if (object === null || typeof object !== "object" || Array.isArray(object)) fail(`unicode.${name} must be an object`);
      const map = new Map();
      for (const [key, value] of Object.entries(object)) {
        const u = Number(key);
        if (!isScalarValue(u) || !Array.isArray(value) || value.length > 18 || !value.every(isScalarValue)) {
          fail(`unicode.${name}["${key.slice(0, 12)}"] must map a scalar value to at most 18 scalar values`);
        }
        map.set(u, Uint32Array.from(value));
      }
      return map;
    };
    this.fold = mapping("fold");
    this.kept = mapping("kept");
    this.nonbase = ranges("nonbase", 2);
    this.word = ranges("word", 2);
    this.ccc = ranges("ccc", 3);
  }

  combiningClass(u) {
    const r = this.ccc;
    let lo = 0, hi = r.length / 3 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (u < r[3 * mid]) hi = mid - 1;
      else if (u > r[3 * mid + 1]) lo = mid + 1;
      else return r[3 * mid + 2];
    }
    return 0;
  }

  /**
   * The scalars of a text folded as Swift's `String.folding` folds them (Core Foundation's
   * character clusters: a character and the combining marks after it), then read as ASCII where
   * they have an ASCII form.
   */
  foldScalars(cps) {
    const out = [];
    const n = cps.length;
    let i = 0;
    while (i < n) {
      const c = cps[i++];
      const folded = this.fold.get(c);
      const cluster = folded === undefined ? [c] : Array.from(folded);
      const character = folded === undefined || folded.length === 0 ? c : folded[folded.length - 1];
      // (A NUL is no cluster: the marks after it start their own.)
      if (c !== 0 && i < n && inRanges(this.nonbase, cps[i])) {
        if (character < 0x510) {
          // After Latin, Greek and Cyrillic letters the marks are diacritics: dropped.
          while (i < n && inRanges(this.nonbase, cps[i])) i++;
        } else {
          // After others they stay, except a first mark below U+0510 after an unchanged character.
          const keep = (m) => { const k = this.kept.get(m); if (k === undefined) cluster.push(m); else cluster.push(...k); };
          if (folded === undefined) { const m = cps[i++]; if (m > 0x50F) keep(m); }
          while (i < n && inRanges(this.nonbase, cps[i])) keep(cps[i++]);
          this.prioritySort(cluster);
        }
      }
      for (const u of cluster) out.push(asciiEquivalent(u));
    }
    return out;
  }

  /** The cluster stably sorted by combining class, as Core Foundation's priority sort leaves it. */
  prioritySort(cluster) {
    const keyed = cluster.map((u, k) => [this.combiningClass(u), k, u]);
    keyed.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    keyed.forEach((x, k) => { cluster[k] = x[2]; });
  }

  isWordScalar(u) {
    if (u < 0x80) return (u >= 0x61 && u <= 0x7A) || (u >= 0x41 && u <= 0x5A) || (u >= 0x30 && u <= 0x39);
    return inRanges(this.word, u);
  }
}

function isScalarValue(u) { return Number.isInteger(u) && u >= 0 && u <= 0x10FFFF && !(u >= 0xD800 && u <= 0xDFFF); }

/** The Unicode scalars of a JavaScript string; a lone surrogate reads as U+FFFD, as Swift decodes it. */
function scalars(text) {
  const out = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xDC00 && d <= 0xDFFF) { out.push(0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00)); i++; continue; }
    }
    out.push(c >= 0xD800 && c <= 0xDFFF ? 0xFFFD : c);
  }
  return out;
}

/** The normalised word tokens of a text, in order (TextPreparation.tokens(of:)). */
function tokensOf(text, tables, maxTokenBytes) {
  let cps = scalars(String(text));
  if (!cps.every((u) => u < 0x80)) cps = tables.foldScalars(cps);
  const tokens = [];
  let current = [], currentBytes = 0;
  const flush = () => {
    if (current.length > 0) tokens.push(String.fromCodePoint(...current));
    current = []; currentBytes = 0;
  };
  const n = cps.length;
  for (let i = 0; i < n; i++) {
    const u = cps[i];
    if (tables.isWordScalar(u)) {
      if (currentBytes < maxTokenBytes) {
        const lower = u >= 0x41 && u <= 0x5A ? u + 32 : u;
        current.push(lower);
        currentBytes += utf8Width(lower);
      }
      continue;
    }
    const nextIsWord = i + 1 < n && tables.isWordScalar(cps[i + 1]);
    if (u === 0x2E) {        // "." inside b.i.d, e.g, 2.5
      if (current.length > 0 && nextIsWord && currentBytes < maxTokenBytes) { current.push(u); currentBytes += 1; } else flush();
    } else if (u === 0x2F) { // "/" of s/p, c/o, r/o
      if (current.length > 0 && current.length <= 3 && nextIsWord && currentBytes < maxTokenBytes) { current.push(u); currentBytes += 1; } else flush();
    } else if (u === 0x27) { // night's -> nights
      if (current.length === 0 || !nextIsWord) flush();
    } else flush();
  }
  flush();
  return tokens;
}

const utf8Encoder = new TextEncoder();

/**
 * FNV-1a over bytes[from..<to], seeded with the offset basis xor n, in 64-bit arithmetic on two
 * 32-bit halves, then the result modulo `buckets`: `hash % UInt64(buckets)` of fillNgrams.
 */
function ngramBucket(bytes, from, to, n, buckets) {
  // 0xcbf29ce484222325 ^ n
  let hi = 0xcbf29ce4, lo = (0x84222325 ^ n) >>> 0;
  for (let j = from; j < to; j++) {
    lo = (lo ^ bytes[j]) >>> 0;
    // (hi, lo) *= 0x100000001b3 = 2^40 + 0x1b3 (mod 2^64)
    const product = lo * 0x1b3;                      // < 2^41: exact in a double
    const carry = Math.floor(product / 4294967296);
    const newLo = product >>> 0;
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = newLo;
  }
  // (hi 2^32 + lo) mod b, with every intermediate below 2^53.
  const b = buckets;
  return ((hi % b) * (4294967296 % b) + (lo % b)) % b;
}

/** How free text becomes ids, as the model's TextPreparation does it. */
class TextPreparation {
  constructor(json, unicode) {
    const p = json;
    if (p === null || typeof p !== "object") fail("preparation must be an object");
    if (!Array.isArray(p.vocabulary) || p.vocabulary.length > (1 << 24) || !p.vocabulary.every((w) => typeof w === "string" && w.length > 0 && w.length <= 64)) {
      fail("preparation.vocabulary must be a list of at most 16,777,216 words of 1 to 64 characters");
    }
    if (!Array.isArray(p.ngramSizes) || p.ngramSizes.length > 8 || !p.ngramSizes.every((s) => Number.isInteger(s) && s >= 1 && s <= 40)
        || new Set(p.ngramSizes).size !== p.ngramSizes.length) {
      fail("preparation.ngramSizes must be at most 8 distinct lengths, each 1...40");
    }
    const int = (name, lo, hi) => {
      if (!Number.isInteger(p[name]) || p[name] < lo || p[name] > hi) fail(`preparation.${name} must be an integer in ${lo}...${hi}`);
      return p[name];
    };
    this.vocabulary = p.vocabulary;
    this.ngramSizes = p.ngramSizes;
    this.buckets = p.ngramSizes.length === 0 ? 0 : int("buckets", 1, 1 << 24);
    this.maxNgramsPerWord = int("maxNgramsPerWord", 0, 1024);
    this.maxTokens = int("maxTokens", 1, 65536);
    this.maxTokenBytes = int("maxTokenBytes", 1, 1024);
    this.tables = unicode;
    // Swift's dictionary compares words by canonical equivalence: so does this index (NFC keys).
    this.index = new Map();
    p.vocabulary.forEach((w, i) => { const k = w.normalize("NFC"); if (!this.index.has(k)) this.index.set(k, i + 2); });
    this.firstBucketId = 2 + this.vocabulary.length;
    this.idCount = this.firstBucketId + this.buckets;
    this.idsPerPosition = 1 + (this.ngramSizes.length === 0 ? 0 : this.maxNgramsPerWord);
  }

  /** The normalised word tokens of a text. */
  tokens(text) { return tokensOf(text, this.tables, this.maxTokenBytes); }

  /** The id of a normalised word (1 when unknown). */
  wordId(word) { return this.index.get(word.normalize("NFC")) ?? UNKNOWN_ID; }

  /** The hashed n-gram ids of a word (as TextPreparation.ngramIds(of:)). */
  ngramIds(word) {
    const ids = new Int32Array(this.maxNgramsPerWord);
    this.fillNgrams(word, ids, 0);
    return Array.from(ids).filter((x) => x !== 0);
  }

  fillNgrams(word, ids, start) {
    const inner = utf8Encoder.encode(word);
    const bytes = new Uint8Array(inner.length + 2);
    bytes[0] = 0x3C; bytes.set(inner, 1); bytes[inner.length + 1] = 0x3E;
    let k = 0;
    for (const n of this.ngramSizes) {
      if (bytes.length < n) continue;
      for (let i = 0; i <= bytes.length - n; i++) {
        if (k >= this.maxNgramsPerWord) return;
        ids[start + k] = this.firstBucketId + ngramBucket(bytes, i, i + n, n, this.buckets);
        k++;
      }
    }
  }

  /** One text ready for a model: tokens (at most maxTokens), ids (T*S, position-major, 0-padded), counts. */
  encode(text) {
    const all = this.tokens(text);
    const tokens = all.slice(0, this.maxTokens);
    const s = this.idsPerPosition;
    const ids = new Int32Array(tokens.length * s);
    let known = 0;
    tokens.forEach((token, t) => {
      const w = this.wordId(token);
      if (w !== UNKNOWN_ID) known++;
      ids[t * s] = w;
      if (s > 1) this.fillNgrams(token, ids, t * s + 1);
    });
    return { tokens, ids, knownWords: known, totalTokens: all.length };
  }
}

// MARK: - Layers (Sources/Neural), for one sequence at a time

/** BagEmbedding: per position the mean of the rows of its ids that count (id > 1). (T*S) -> (T, D). */
function bagEmbedding(table, rows, d, ids, s, steps) {
  const out = new Float64Array(steps * d);
  for (let p = 0; p < steps; p++) {
    const o = p * d;
    let n = 0;
    for (let j = 0; j < s; j++) {
      const id = ids[p * s + j];
      if (id <= 1 || id >= rows) continue;
      n++;
      const r = id * d;
      for (let k = 0; k < d; k++) out[o + k] += table[r + k];
    }
    if (n > 1) for (let k = 0; k < d; k++) out[o + k] /= n;
  }
  return out;
}

/** Conv1D, stride 1, dilation 1, "same" padding: (L, C) -> (L, F), weight (F, K, C), bias (F). */
function conv1dSame(x, l, c, weight, bias, f, k) {
  const padLeft = (k - 1) >> 1;
  const out = new Float64Array(l * f);
  for (let t = 0; t < l; t++) {
    for (let fi = 0; fi < f; fi++) {
      let sum = bias[fi];
      const w = fi * k * c;
      for (let j = 0; j < k; j++) {
        const p = t + j - padLeft;
        if (p < 0 || p >= l) continue;
        const xo = p * c, wo = w + j * c;
        for (let ci = 0; ci < c; ci++) sum += weight[wo + ci] * x[xo + ci];
      }
      out[t * f + fi] = sum;
    }
  }
  return out;
}

/** GlobalPool over L: (L, C) -> (C), max or mean. */
function globalPool(x, l, c, mode) {
  const out = new Float64Array(c);
  if (mode === "max") {
    for (let ch = 0; ch < c; ch++) out[ch] = x[ch];
    for (let t = 1; t < l; t++) for (let ch = 0; ch < c; ch++) if (x[t * c + ch] > out[ch]) out[ch] = x[t * c + ch];
  } else {
    for (let t = 0; t < l; t++) for (let ch = 0; ch < c; ch++) out[ch] += x[t * c + ch];
    for (let ch = 0; ch < c; ch++) out[ch] /= l;
  }
  return out;
}

function relu(x) { for (let i = 0; i < x.length; i++) if (x[i] < 0) x[i] = 0; return x; }

/** Dense: (C) -> (F), weight (F, C), bias (F). */
function dense(x, c, weight, bias, f) {
  const out = new Float64Array(f);
  for (let o = 0; o < f; o++) {
    let sum = bias[o];
    const w = o * c;
    for (let i = 0; i < c; i++) sum += weight[w + i] * x[i];
    out[o] = sum;
  }
  return out;
}

function sigmoid(x) { return 1 / (1 + Math.exp(-x)); }

/** LSTM over the first `l` steps, gates in PyTorch's order (i, f, g, o): (L, C) -> (H) last state. */
function lstmLast(x, l, c, weightIH, weightHH, bias, h, reverse) {
  const g4 = 4 * h;
  let hState = new Float64Array(h), cState = new Float64Array(h);
  const z = new Float64Array(g4);
  for (let step = 0; step < l; step++) {
    const xo = (reverse ? l - 1 - step : step) * c;
    for (let r = 0; r < g4; r++) {
      let sum = bias[r];
      const wi = r * c, wh = r * h;
      for (let i = 0; i < c; i++) sum += weightIH[wi + i] * x[xo + i];
      for (let j = 0; j < h; j++) sum += weightHH[wh + j] * hState[j];
      z[r] = sum;
    }
    const next = new Float64Array(h);
    for (let j = 0; j < h; j++) {
      const i = sigmoid(z[j]), f = sigmoid(z[h + j]), g = Math.tanh(z[2 * h + j]), o = sigmoid(z[3 * h + j]);
      const cv = f * cState[j] + i * g;
      cState[j] = cv;
      next[j] = o * Math.tanh(cv);
    }
    hState = next;
  }
  return hState;
}

function softmax(logits) {
  let m = -Infinity;
  for (const v of logits) if (v > m) m = v;
  const out = new Float64Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) { out[i] = Math.exp(logits[i] - m); s += out[i]; }
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}

// MARK: - Weights

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes an IEEE 754 half-precision value. */
function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1F, m = h & 0x3FF;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/**
 * The named tensors of a weights file as Float32Arrays, each checked against the file: inside it,
 * of the length its shape says, finite. `spec` is model.json's "weights".
 */
function readTensors(spec, buffer) {
  if (spec === null || typeof spec !== "object" || !Array.isArray(spec.tensors)) fail("weights.tensors must be a list");
  const dtype = spec.dtype;
  if (!["float32", "float16", "int8"].includes(dtype)) fail(`weights.dtype "${String(dtype).slice(0, 20)}" is not float32, float16 or int8`);
  const size = dtype === "float32" ? 4 : dtype === "float16" ? 2 : 1;
  const bytes = buffer.byteLength;
  const view = new DataView(buffer);
  const tensors = new Map();
  for (const [i, t] of spec.tensors.entries()) {
    if (t === null || typeof t !== "object" || typeof t.name !== "string") fail(`weights.tensors[${i}] has no name`);
    const name = t.name.slice(0, 80);
    if (!Array.isArray(t.shape) || t.shape.length < 1 || t.shape.length > 4 || !t.shape.every((d) => Number.isInteger(d) && d >= 1 && d <= (1 << 26))) {
      fail(`tensor ${name}: its shape must be 1 to 4 positive sizes`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset % size !== 0 || count > 1 << 28 || t.offset + count * size > bytes) {
      fail(`tensor ${name}: ${count} values at byte ${t.offset} do not fit in the ${bytes}-byte weights file (truncated or another model's?)`);
    }
    const out = new Float32Array(count);
    if (dtype === "float32") {
      if (littleEndian) out.set(new Float32Array(buffer, t.offset, count));
      else for (let j = 0; j < count; j++) out[j] = view.getFloat32(t.offset + 4 * j, true);
    } else if (dtype === "float16") {
      for (let j = 0; j < count; j++) out[j] = halfToFloat(view.getUint16(t.offset + 2 * j, true));
    } else {
      // int8: one scale per row (the last axis is a row).
      const rowLength = t.shape[t.shape.length - 1], rows = count / rowLength;
      if (!Array.isArray(t.scales) || t.scales.length !== rows || !t.scales.every((x) => typeof x === "number" && Number.isFinite(x) && x >= 0)) {
        fail(`tensor ${name}: an int8 tensor needs one finite scale per row (${rows})`);
      }
      for (let r = 0; r < rows; r++) {
        const scale = t.scales[r];
        for (let j = 0; j < rowLength; j++) out[r * rowLength + j] = view.getInt8(t.offset + r * rowLength + j) * scale;
      }
    }
    for (let j = 0; j < count; j++) if (!Number.isFinite(out[j])) fail(`tensor ${name} holds NaN or infinite values`);
    if (tensors.has(name)) fail(`tensor ${name} is listed twice`);
    tensors.set(name, { shape: t.shape, data: out });
  }
  return tensors;
}

// MARK: - Text models (TextNetwork.swift, TextClassifier.swift)

/** One ensemble member's network: its weights by role, checked against the configuration. */
class TextMember {
  constructor(network, tensors, m, scoped) {
    const take = (name, shape) => {
      const key = `member${m}.${name}`;
      const t = tensors.get(key);
      if (!t) fail(`the weights lack ${key} (file truncated or from another version)`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        fail(`${key} has shape [${t.shape}], the network needs [${shape}]`);
      }
      tensors.delete(key);
      return t.data;
    };
    const n = network, d = n.dimension, h = n.hiddenSize, c = n.classes;
    this.network = n;
    this.table = take("embedding.weight", [n.idCount, d]);
    if (n.architecture === "cnn") {
      this.convs = n.kernelSizes.map((k) => ({ k, weight: take(`body.conv${k}.weight`, [n.filters, k, d]), bias: take(`body.conv${k}.bias`, [n.filters]) }));
      const width = d + n.filters * n.kernelSizes.length;
      this.classifier = { weight: take("body.classifier.weight", [c, width]), bias: take("body.classifier.bias", [c]), width };
    } else if (n.architecture === "lstm") {
      this.forwardLSTM = { ih: take("body.0.weight_ih", [4 * h, d]), hh: take("body.0.weight_hh", [4 * h, h]), bias: take("body.0.bias", [4 * h]) };
      this.classifier = { weight: take("body.2.weight", [c, h]), bias: take("body.2.bias", [c]), width: h };
    } else {
      this.forwardLSTM = { ih: take("body.0.forward.weight_ih", [4 * h, d]), hh: take("body.0.forward.weight_hh", [4 * h, h]), bias: take("body.0.forward.bias", [4 * h]) };
      this.backwardLSTM = { ih: take("body.0.backward.weight_ih", [4 * h, d]), hh: take("body.0.backward.weight_hh", [4 * h, h]), bias: take("body.0.backward.bias", [4 * h]) };
      this.classifier = { weight: take("body.2.weight", [c, 2 * h]), bias: take("body.2.bias", [c]), width: 2 * h };
    }
    if (scoped) {
      // The scope bank (N, width): unit features of training cases, for the neighbourhood view.
      const key = `member${m}.scope.bank`, t = tensors.get(key);
      if (!t) fail(`the weights lack ${key}, which the model's scope needs`);
      if (t.shape.length !== 2 || t.shape[1] !== this.classifier.width) fail(`${key} has shape [${t.shape}], the scope needs [rows, ${this.classifier.width}]`);
      tensors.delete(key);
      this.bank = { rows: t.shape[0], data: t.data };
    }
  }

  /** Logits (C) of one encoded text of `steps` tokens (at least 1). */
  logits(ids, steps, s) { return this.forward(ids, steps, s).logits; }

  /**
   * The cosine similarity of `features` (what the classifier reads) to the nearest case of the
   * scope bank, whose rows are unit vectors (TextClassifier.nearestSimilarity).
   */
  nearest(features) {
    const f = features.length, { rows, data } = this.bank;
    let norm = 0;
    for (let j = 0; j < f; j++) norm += features[j] * features[j];
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    let best = -Infinity;
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let j = 0, o = r * f; j < f; j++) dot += data[o + j] * features[j];
      if (dot > best) best = dot;
    }
    return best * scale;
  }

  /** Logits (C) and features (the classifier's input) of one encoded text of `steps` tokens (at least 1). */
  forward(ids, steps, s) {
    const n = this.network, d = n.dimension;
    const x = bagEmbedding(this.table, n.idCount, d, ids, s, steps);
    let features;
    if (n.architecture === "cnn") {
      features = new Float64Array(this.classifier.width);
      features.set(globalPool(x, steps, d, "mean"), 0);
      let at = d;
      for (const conv of this.convs) {
        const y = relu(conv1dSame(x, steps, d, conv.weight, conv.bias, n.filters, conv.k));
        features.set(globalPool(y, steps, n.filters, "max"), at);
        at += n.filters;
      }
    } else {
      const f = this.forwardLSTM;
      const hf = lstmLast(x, steps, d, f.ih, f.hh, f.bias, n.hiddenSize, false);
      if (n.architecture === "lstm") features = hf;
      else {
        const b = this.backwardLSTM;
        features = new Float64Array(2 * n.hiddenSize);
        features.set(hf, 0);
        features.set(lstmLast(x, steps, d, b.ih, b.hh, b.bias, n.hiddenSize, true), n.hiddenSize);
      }
    }
    return { logits: dense(features, this.classifier.width, this.classifier.weight, this.classifier.bias, n.classes), features };
  }
}

/**
 * How like the model's training cases a text is (TextClassifier+Scope.swift): three views
 * (familiarity, confidence, neighbourhood), each an in-scope p-value among the validation texts'
 * values, joined by Fisher's method, then placed among the validation texts' joined values.
 */
class TextScope {
  constructor(json) {
    if (json === null || typeof json !== "object") fail("scope must be an object");
    const sorted = (name, lo, hi) => {
      const v = json[name];
      if (!Array.isArray(v) || v.length < 1 || v.length > 1000000
          || !v.every((x, i) => typeof x === "number" && x >= lo && x <= hi && (i === 0 || x >= v[i - 1]))) {
        fail(`scope.${name} must be a sorted list of numbers in ${lo}...${hi}`);
      }
      return Float64Array.from(v);
    };
    this.familiarity = sorted("familiarity", 0, 1);
    this.confidence = sorted("confidence", 0, 1);
    this.neighbourhood = sorted("neighbourhood", -1.01, 1.01);  // cosine similarities, rounded
    this.joined = sorted("joined", 0, 1);
    if (typeof json.threshold !== "number" || !(json.threshold >= 0 && json.threshold <= 1)) fail("scope.threshold must be a number in 0...1");
    this.threshold = json.threshold;
    this.notice = typeof json.notice === "string" ? json.notice.slice(0, 10000) : "";
  }

  /** The score of a text's views, in [0, 1]: higher is more like the training cases. */
  score(views) { return TextScope.place(this.fisher(views), this.joined); }

  /** The three views' in-scope p-values joined by Fisher's method. */
  fisher(views) {
    const p = [TextScope.cdf(this.familiarity, views.familiarity), TextScope.cdf(this.confidence, views.confidence),
               TextScope.cdf(this.neighbourhood, views.neighbourhood)];
    return TextScope.chiSquareSurvival(-2 * p.reduce((a, x) => a + Math.log(x), 0), p.length);
  }

  /** The share of `sorted` at or below `value`, kept off 0 and 1; compared in float32, as stored. */
  static cdf(sorted, value) {
    const v = Math.fround(value);
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] <= v) lo = mid + 1; else hi = mid; }
    return (lo + 0.5) / (sorted.length + 1);
  }

  /** P(X > x) for X chi-square with 2k degrees of freedom. */
  static chiSquareSurvival(x, k) {
    if (!(x > 0)) return 1;
    const half = x / 2;
    let term = 1, sum = 1;
    for (let i = 1; i < Math.max(k, 1); i++) { term *= half / i; sum += term; }
    return Math.min(1, Math.exp(-half) * sum);
  }

  /** Where `value` falls among `sorted` values of [0, 1]: i / (n + 1) at the i-th, linear between. */
  static place(value, sorted) {
    const n = sorted.length;
    let lo = 0, hi = n;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
    const below = lo === 0 ? 0 : sorted[lo - 1], above = lo === n ? 1 : sorted[lo];
    const fraction = above > below ? (value - below) / (above - below) : 0;
    return Math.min(1, Math.max(0, (lo + Math.min(1, Math.max(0, fraction))) / (n + 1)));
  }
}

/** A text classifier: preparation, classes, members whose softmaxes are averaged, calibration. */
class TextModel {
  constructor(config, buffer) {
    const int = (object, name, lo, hi, where) => {
      const v = object[name];
      if (!Number.isInteger(v) || v < lo || v > hi) fail(`${where}.${name} must be an integer in ${lo}...${hi}`);
      return v;
    };
    if (!Array.isArray(config.classes) || config.classes.length < 2 || config.classes.length > 100000
        || !config.classes.every((c) => typeof c === "string" && c.length <= 4096) || new Set(config.classes).size !== config.classes.length) {
      fail("classes must be 2 or more distinct names");
    }
    const n = config.network;
    if (n === null || typeof n !== "object") fail("network must be an object");
    if (!["cnn", "lstm", "bilstm"].includes(n.architecture)) {
      fail(`network.architecture "${String(n.architecture).slice(0, 20)}" is not one this runtime runs (cnn, lstm, bilstm)`);
    }
    int(n, "dimension", 1, 4096, "network"); int(n, "hiddenSize", 1, 4096, "network"); int(n, "filters", 1, 4096, "network");
    int(n, "idCount", 3, 1 << 25, "network"); int(n, "idsPerPosition", 1, 1025, "network"); int(n, "classes", 2, 100000, "network");
    if (!Array.isArray(n.kernelSizes) || n.kernelSizes.length < 1 || n.kernelSizes.length > 8
        || !n.kernelSizes.every((k) => Number.isInteger(k) && k >= 1 && k <= 64) || new Set(n.kernelSizes).size !== n.kernelSizes.length) {
      fail("network.kernelSizes must be 1 to 8 distinct widths, each 1...64");
    }
    const members = int(config, "members", 1, 64, "model");
    const power = config.calibrationPower ?? 1;
    if (typeof power !== "number" || !Number.isFinite(power) || power < 0.1 || power > 10) fail("calibrationPower must be a number in 0.1...10");
    this.preparation = new TextPreparation(config.preparation, new UnicodeTables(config.unicode ?? fail("the configuration lacks its unicode tables")));
    const p = this.preparation;
    if (n.idCount !== p.idCount || n.idsPerPosition !== p.idsPerPosition || n.classes !== config.classes.length) {
      fail("the configuration is inconsistent (vocabulary or classes do not match the network)");
    }
    const tensors = readTensors(config.weights, buffer);
    this.scope = config.scope == null ? null : new TextScope(config.scope);
    this.members = [];
    for (let m = 0; m < members; m++) this.members.push(new TextMember(n, tensors, m, this.scope !== null));
    if (tensors.size > 0) fail(`tensor ${[...tensors.keys()][0]} is not part of the network the configuration describes`);
    this.kind = "text";
    this.name = String(config.name ?? "");
    this.task = String(config.task ?? "");
    this.classes = config.classes.slice();
    this.calibrationPower = power;
    this.metrics = config.metrics ?? {};
  }

  /** Tokens and ids of a text, as the model reads it. */
  encode(text) { return this.preparation.encode(text); }

  /** Class probabilities (Float64Array, in class order) of one text; null when it has no words. */
  probabilities(text) {
    const e = this.preparation.encode(text);
    return e.tokens.length === 0 ? null : this.probabilitiesOfEncoded(e);
  }

  probabilitiesOfEncoded(e) {
    const k = this.classes.length, steps = Math.max(1, e.tokens.length);
    const sum = new Float64Array(k);
    for (const member of this.members) {
      const p = softmax(member.logits(e.ids, steps, this.preparation.idsPerPosition));
      for (let i = 0; i < k; i++) sum[i] += p[i];
    }
    const mean = sum.map((v) => v / this.members.length);
    if (this.calibrationPower === 1) return mean;
    // p^power, renormalised (TextClassifier.sharpen).
    const raised = mean.map((v) => Math.pow(Math.max(v, 1e-30), this.calibrationPower));
    const total = raised.reduce((a, b) => a + b, 0);
    return total > 0 ? raised.map((v) => v / total) : mean;
  }

  /** The `top` most probable classes of a text, best first (ties: class order); [] for a text without words. */
  score(text, options = {}) {
    const top = Math.max(1, Math.floor(Number(options.top ?? 5)) || 5);
    const p = this.probabilities(text);
    if (p === null) return [];
    return Array.from(p.keys())
      .sort((a, b) => (p[a] !== p[b] ? p[b] - p[a] : a - b))
      .slice(0, top)
      .map((i) => ({ label: this.classes[i], probability: p[i] }));
  }

  /**
   * The words that moved class `classIndex` most, by occlusion (TextClassifier.explain): each
   * distinct word is removed (every occurrence) and the drop of that class's probability is its
   * effect (positive: it supported the class). Best first, at most `top`; [] for a text without words.
   */
  explain(text, classIndex, top = 5) {
    const e = this.preparation.encode(text);
    if (e.tokens.length === 0 || !Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.classes.length) return [];
    const s = this.preparation.idsPerPosition;
    const words = [], slots = new Map();
    const wordAt = e.tokens.map((token) => {
      if (!slots.has(token)) { slots.set(token, words.length); words.push(token); }
      return slots.get(token);
    });
    const base = this.probabilitiesOfEncoded(e)[classIndex];
    const effects = words.map((word, w) => {
      const kept = [];
      wordAt.forEach((x, t) => { if (x !== w) kept.push(t); });
      // Every word removed: one padding position, as the engine packs an empty text.
      const ids = new Int32Array(Math.max(1, kept.length) * s);
      kept.forEach((t, i) => ids.set(e.ids.subarray(t * s, (t + 1) * s), i * s));
      return { word, effect: base - this.probabilitiesOfEncoded({ tokens: kept, ids })[classIndex] };
    });
    return effects.sort((a, b) => b.effect - a.effect).slice(0, Math.max(1, Math.floor(Number(top)) || 5));
  }

  /**
   * Whether a text is like the cases the model was trained on, as `triage score` judges it
   * (TextClassifier.probabilitiesAndScope): {score, inScope, views}, score in [0, 1], higher more
   * like them; null for a model without a scope or a text without words.
   */
  judgeScope(text) {
    if (this.scope === null) return null;
    const e = this.preparation.encode(text);
    if (e.tokens.length === 0) return null;
    let confidence = 0, neighbourhood = 0;
    for (const member of this.members) {
      const { logits, features } = member.forward(e.ids, e.tokens.length, this.preparation.idsPerPosition);
      // Each member's own top softmax probability (before averaging and calibration).
      confidence += softmax(logits).reduce((a, b) => Math.max(a, b), 0) / this.members.length;
      neighbourhood += member.nearest(features) / this.members.length;
    }
    const views = { familiarity: e.knownWords / e.tokens.length, confidence, neighbourhood };
    const score = this.scope.score(views);
    return { score, inScope: score >= this.scope.threshold, views };
  }

  /** What `triage score` would warn about a text (few known words, text cut), or null. */
  warning(text) {
    const e = this.preparation.encode(text);
    if (e.tokens.length === 0) return "the text is empty (no words to score)";
    const warnings = [];
    if (e.tokens.length >= 3 && e.knownWords < 0.25 * e.tokens.length) {
      warnings.push(`only ${e.knownWords} of ${e.tokens.length} words are in the model's vocabulary (another language or another kind of text?): the predictions are unreliable`);
    }
    if (e.totalTokens > e.tokens.length) warnings.push(`the text has ${e.totalTokens} words; only the first ${e.tokens.length} were read`);
    return warnings.length ? warnings.join("; ") : null;
  }
}

// MARK: - Loading

/** A model from its parsed model.json and the bytes of its weights file (an ArrayBuffer). */
function modelFromData(config, weights) {
  if (config === null || typeof config !== "object" || Array.isArray(config)) fail("model.json must hold an object");
  if (config.format !== FORMAT) fail(`model.json is "${String(config.format).slice(0, 40)}", not a Triage web model (${FORMAT}); export one with \`triage export web\``);
  if (!SUPPORTED_KINDS.includes(config.kind)) {
    fail(`a ${String(config.kind).slice(0, 20)} model is not supported by this runtime (supported: ${SUPPORTED_KINDS.join(", ")})`);
  }
  if (!(weights instanceof ArrayBuffer)) fail("the weights must be an ArrayBuffer");
  return new TextModel(config, weights);
}

/** Bytes of base64 text (the offline page's embedded weights). */
function base64Bytes(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lookup = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) lookup[alphabet.charCodeAt(i)] = i;
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0, value = 0, o = 0;
  for (let i = 0; i < clean.length; i++) {
    const c = clean.charCodeAt(i), v = c < 128 ? lookup[c] : -1;
    if (v < 0) fail("the embedded weights are not base64");
    value = (value << 6) | v; bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (value >> bits) & 0xFF; }
  }
  return out.buffer.slice(0, o);
}

const isNode = typeof process !== "undefined" && process.versions != null && process.versions.node != null
  && typeof window === "undefined";

/** Reads `name` in the model folder `dir`: a path in node, a URL (relative to the page) in a browser. */
async function readModelFile(dir, name, asText) {
  if (isNode && !/^[a-z]+:\/\//i.test(String(dir))) {
    const fs = await import("node:fs/promises");
    const path = await import("node:path");
    const bytes = await fs.readFile(path.join(String(dir), name));
    return asText ? bytes.toString("utf8") : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  const base = String(dir).endsWith("/") ? String(dir) : String(dir) + "/";
  const response = await fetch(base + name);
  if (!response.ok) fail(`cannot read ${base + name}: HTTP ${response.status}`);
  return asText ? response.text() : response.arrayBuffer();
}

/** Loads the model in folder `dir` (model.json and its weights). */
async function loadModel(dir) {
  let config;
  try { config = JSON.parse(await readModelFile(dir, "model.json", true)); } catch (error) {
    if (error instanceof TriageModelError) throw error;
    fail(`${dir}/model.json cannot be read as JSON: ${error.message}`);
  }
  if (config === null || typeof config !== "object" || config.weights === null || typeof config.weights !== "object"
      || typeof config.weights.file !== "string" || !/^[A-Za-z0-9._-]{1,100}$/.test(config.weights.file) || config.weights.file.startsWith(".")) {
    fail(`${dir}/model.json does not name its weights file (a plain file name in the folder)`);
  }
  return modelFromData(config, await readModelFile(dir, config.weights.file, false));
}

// MARK: - Exports (the offline page's worker runs everything above this line as a classic script)
export { loadModel, modelFromData, base64Bytes, TriageModelError, TextPreparation, UnicodeTables, tokensOf, ngramBucket, SUPPORTED_KINDS };
