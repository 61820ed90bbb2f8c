// Triage offline runtime: the forward pass of exported Triage models, in plain JavaScript.
//
// Written by `triage export web` next to index.html and one folder per model (model.json and its
// weights). The same file runs in node and in a browser:
//
//   import { loadModel } from "./triage.js";
//   const m = await loadModel("s2d");            // a model folder: a path in node, a URL in a browser
//   m.score("fever, cough and chest pain", { top: 5 });   // [{label, probability}, ...] best first
//   const x = await loadModel("pneumonia");      // an image model (`triage train image`)
//   x.predictImage({ width: 28, height: 28, channels: 1, data: bytes });   // {label: probability}
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
const SUPPORTED_KINDS = ["text", "image"];

/** A model folder or file that cannot be used, with a message that says why. */
class TriageModelError extends Error {
  constructor(message) { super(message); this.name = "TriageModelError"; }
}

function fail(message) { throw new TriageModelError(message); }

/** Checks that `list` holds `least` or more (at most 100,000) distinct names (`what` in the error). */
function distinctNames(list, least, what) {
  if (!Array.isArray(list) || list.length < least || list.length > 100000
      || !list.every((c) => typeof c === "string" && c.length <= 4096) || new Set(list).size !== list.length) {
    fail(`${what} must be ${least} or more distinct names`);
  }
}

/** object[name], which must be an integer in lo...hi (`where` names the object in the error). */
function integerField(object, name, lo, hi, where) {
  const v = object[name];
  if (!Number.isInteger(v) || v < lo || v > hi) fail(`${where}.${name} must be an integer in ${lo}...${hi}`);
  return v;
}

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
  const dtypes = ["float32", "float16", "int8"];
  if (!dtypes.includes(spec.dtype)) fail(`weights.dtype "${String(spec.dtype).slice(0, 20)}" is not float32, float16 or int8`);
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
    // A tensor may be stored otherwise than the file's dtype (image models keep vectors float32).
    const dtype = t.dtype ?? spec.dtype;
    if (!dtypes.includes(dtype)) fail(`tensor ${name}: dtype "${String(dtype).slice(0, 20)}" is not float32, float16 or int8`);
    const size = dtype === "float32" ? 4 : dtype === "float16" ? 2 : 1;
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
      // int8: one scale per row (the last axis, unless the tensor says rowLength).
      const rowLength = t.rowLength ?? t.shape[t.shape.length - 1], rows = count / rowLength;
      if (!Number.isInteger(rowLength) || rowLength < 1 || !Number.isInteger(rows)) fail(`tensor ${name}: rowLength must divide its ${count} values`);
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
    const int = integerField;
    distinctNames(config.classes, 2, "classes");
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

// MARK: - Image models (ImageClassifier.swift, ImagePreprocessing, Sources/Vision, ImageNetwork.swift)
//
// An image model is the Swift network as a list of nodes (conv2d, batchnorm, activation, pool2d,
// globalpool, dense, sum, concat) run one image at a time, after the preprocessing Swift applies:
// samples scaled to [0, 1], channels matched (colour to grey by ITU-R 601 luma, grey to colour by
// copying), a box filter and bilinear resize to the model's size, the zoom levels stacked as
// channels, standardisation; then flip averaging, Platt calibration and softmax or sigmoids.
// The preprocessing repeats Swift's float32 arithmetic step by step (Math.fround), so the network
// reads the same input bits; the network sums in float64 over float32 weights and activations.
//
// Legend: H height, W width, C channels, F filters, KH KW kernel, P output pixels, K outputs.
// Every image and activation is (H, W, C) row-major with interleaved channels, as Swift's
// ImageBuffer and Tensor; a conv2d weight is (F, KH, KW, C), a dense weight (K, C).

const f32 = Math.fround;

/** `v`, which must be a finite number (`what` names it in the error). */
function finite(v, what) {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${what} must be a finite number`);
  return v;
}

/**
 * The samples of an image given to predictImage, as float32 values in [0, 1], (H, W, C):
 * `{width, height, channels, data}` where data is a Uint8Array or Uint8ClampedArray (0-255), a
 * Uint16Array (0-65535), or a Float32Array, Float64Array or plain array of values in [0, 1];
 * channels is 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA), and may be left out when it is
 * data.length / (width height) (a canvas's ImageData is RGBA). Alpha is dropped, as Swift's PNG
 * reader drops it.
 */
function imageSamples(image) {
  if (image === null || typeof image !== "object") fail("an image must be an object {width, height, channels, data}");
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 16384 || height > 16384) {
    fail("an image's width and height must be integers in 1...16384");
  }
  const types = [Uint8Array, Uint8ClampedArray, Uint16Array, Float32Array, Float64Array, Array];
  if (data === null || typeof data !== "object" || !types.some((T) => data instanceof T)) {
    fail("an image's data must be a Uint8Array, Uint8ClampedArray, Uint16Array, Float32Array, Float64Array or array of samples");
  }
  const pixels = width * height;
  const channels = image.channels ?? data.length / pixels;
  if (![1, 2, 3, 4].includes(channels)) fail(`an image has 1, 2, 3 or 4 channels, not ${String(channels).slice(0, 20)}`);
  if (data.length !== pixels * channels) fail(`a ${width}x${height} image of ${channels} channels needs ${pixels * channels} samples, not ${data.length}`);
  const integer = data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 255 : data instanceof Uint16Array ? 65535 : 0;
  const kept = channels === 2 ? 1 : channels === 4 ? 3 : channels;
  const out = new Float32Array(pixels * kept);
  // ImageBuffer.normalized(): each sample times Float(1 / fullScale), in float32.
  const scale = f32(1 / integer);
  for (let i = 0; i < pixels; i++) {
    for (let c = 0; c < kept; c++) {
      const v = data[i * channels + c];
      if (integer) out[i * kept + c] = f32(v * scale);
      else {
        if (typeof v !== "number" || !Number.isFinite(v)) fail(`sample ${i * channels + c} of the image is not a finite number`);
        out[i * kept + c] = v;
      }
    }
  }
  return { width, height, channels: kept, pixels: out };
}

/** ImageBuffer.grey(): ITU-R 601 luma of RGB (float32 steps), the channel mean otherwise. */
function greyImage(x) {
  if (x.channels === 1) return x;
  const n = x.width * x.height, c = x.channels, p = x.pixels, out = new Float32Array(n);
  const r = f32(0.299), g = f32(0.587), b = f32(0.114);
  for (let i = 0; i < n; i++) {
    if (c === 3) out[i] = f32(f32(f32(r * p[3 * i]) + f32(g * p[3 * i + 1])) + f32(b * p[3 * i + 2]));
    else { let s = 0; for (let k = 0; k < c; k++) s = f32(s + p[i * c + k]); out[i] = f32(s / c); }
  }
  return { width: x.width, height: x.height, channels: 1, pixels: out };
}

/** ImageBuffer.boxShrunk: the means of fx x fy blocks (edge blocks use the pixels they have). */
function boxShrunk(x, fx, fy) {
  const w = Math.ceil(x.width / fx), h = Math.ceil(x.height / fy), c = x.channels, p = x.pixels;
  const out = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let xo = 0; xo < w; xo++) {
      for (let k = 0; k < c; k++) {
        let sum = 0, n = 0;
        for (let yy = y * fy; yy < Math.min((y + 1) * fy, x.height); yy++) {
          for (let xx = xo * fx; xx < Math.min((xo + 1) * fx, x.width); xx++) { sum = f32(sum + p[(yy * x.width + xx) * c + k]); n++; }
        }
        out[(y * w + xo) * c + k] = f32(sum / Math.max(n, 1));
      }
    }
  }
  return { width: w, height: h, channels: c, pixels: out };
}

/** ImageBuffer.resized: a box filter when shrinking by 2 or more, then bilinear with pixel centres aligned. */
function resizedImage(x, w, h) {
  if (w === x.width && h === x.height) return x;
  let s = x;
  const fx = Math.max(Math.floor(s.width / w), 1), fy = Math.max(Math.floor(s.height / h), 1);
  if (fx > 1 || fy > 1) s = boxShrunk(s, fx, fy);
  const c = s.channels, p = s.pixels, sw = s.width, sh = s.height;
  const sx = f32(sw / w), sy = f32(sh / h);
  const out = new Float32Array(w * h * c);
  let o = 0;
  for (let y = 0; y < h; y++) {
    const fyPos = Math.max(f32(f32((y + 0.5) * sy) - 0.5), 0);
    const y0 = Math.min(Math.trunc(fyPos), sh - 1), y1 = Math.min(y0 + 1, sh - 1);
    const ty = f32(fyPos - y0), uy = f32(1 - ty);
    for (let xo = 0; xo < w; xo++) {
      const fxPos = Math.max(f32(f32((xo + 0.5) * sx) - 0.5), 0);
      const x0 = Math.min(Math.trunc(fxPos), sw - 1), x1 = Math.min(x0 + 1, sw - 1);
      const tx = f32(fxPos - x0), ux = f32(1 - tx);
      for (let k = 0; k < c; k++) {
        const top = f32(f32(p[(y0 * sw + x0) * c + k] * ux) + f32(p[(y0 * sw + x1) * c + k] * tx));
        const bottom = f32(f32(p[(y1 * sw + x0) * c + k] * ux) + f32(p[(y1 * sw + x1) * c + k] * tx));
        out[o++] = f32(f32(top * uy) + f32(bottom * ty));
      }
    }
  }
  return { width: w, height: h, channels: c, pixels: out };
}

/** ImageBuffer.flippedHorizontally. */
function flippedImage(x) {
  const { width: w, height: h, channels: c, pixels: p } = x, out = new Float32Array(p.length);
  for (let y = 0; y < h; y++) for (let xo = 0; xo < w; xo++) for (let k = 0; k < c; k++) out[(y * w + xo) * c + k] = p[(y * w + w - 1 - xo) * c + k];
  return { width: w, height: h, channels: c, pixels: out };
}

/** ImageBuffer.zoomed: the central width/zoom x height/zoom region, resized back to the image's size. */
function zoomedImage(x, zoom) {
  const z = Math.max(zoom, 1);
  const cw = Math.max(Math.round(f32(x.width / z)), 1), ch = Math.max(Math.round(f32(x.height / z)), 1);
  if (cw === x.width && ch === x.height) return x;
  // centerCropped: the crop starts at (size - crop) / 2 (integer division) and lies inside the image.
  const left = Math.trunc((x.width - cw) / 2), top = Math.trunc((x.height - ch) / 2), c = x.channels;
  const crop = new Float32Array(cw * ch * c);
  for (let y = 0; y < ch; y++) crop.set(x.pixels.subarray(((top + y) * x.width + left) * c, ((top + y) * x.width + left + cw) * c), y * cw * c);
  return resizedImage({ width: cw, height: ch, channels: c, pixels: crop }, x.width, x.height);
}

/** The network's layers, one image at a time; `shape` is [H, W, C] or [C]. */
const imageLayers = {
  /** Conv2D: (H, W, C) -> (H', W', F) by im2col (P, KH KW C) and a product with the (F, KH KW C) weight, 2 pixels x 4 filters at a time. */
  conv2d(node, x, shape) {
    const [ih, iw, c] = shape, { kh, kw, sh, sw, f } = node;
    const gy = paddingGeometry(node.padding, ih, kh, sh), gx = paddingGeometry(node.padding, iw, kw, sw);
    const oh = gy.out, ow = gx.out, pixels = oh * ow, kc = kh * kw * c;
    const cols = scratch(node, "cols", pixels * kc);
    let d = 0;
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let i = 0; i < kh; i++) {
          const py = oy * sh + i - gy.padLeft;
          for (let j = 0; j < kw; j++) {
            const px = ox * sw + j - gx.padLeft;
            if (py < 0 || py >= ih || px < 0 || px >= iw) { for (let k = 0; k < c; k++) cols[d++] = 0; continue; }
            const s = (py * iw + px) * c;
            for (let k = 0; k < c; k++) cols[d++] = x[s + k];
          }
        }
      }
    }
    const out = scratch(node, "out", pixels * f), w = node.weight, b = node.bias;
    let p = 0;
    for (; p + 2 <= pixels; p += 2) {
      const a0 = p * kc, a1 = a0 + kc;
      let fi = 0;
      for (; fi + 4 <= f; fi += 4) {
        const w0 = fi * kc, w1 = w0 + kc, w2 = w1 + kc, w3 = w2 + kc;
        let s00 = b[fi], s01 = b[fi + 1], s02 = b[fi + 2], s03 = b[fi + 3];
        let s10 = s00, s11 = s01, s12 = s02, s13 = s03;
        for (let k = 0; k < kc; k++) {
          const u = cols[a0 + k], v = cols[a1 + k];
          const x0 = w[w0 + k], x1 = w[w1 + k], x2 = w[w2 + k], x3 = w[w3 + k];
          s00 += u * x0; s01 += u * x1; s02 += u * x2; s03 += u * x3;
          s10 += v * x0; s11 += v * x1; s12 += v * x2; s13 += v * x3;
        }
        const o0 = p * f + fi, o1 = o0 + f;
        out[o0] = s00; out[o0 + 1] = s01; out[o0 + 2] = s02; out[o0 + 3] = s03;
        out[o1] = s10; out[o1 + 1] = s11; out[o1 + 2] = s12; out[o1 + 3] = s13;
      }
      for (; fi < f; fi++) {
        const w0 = fi * kc;
        let s0 = b[fi], s1 = b[fi];
        for (let k = 0; k < kc; k++) { s0 += cols[a0 + k] * w[w0 + k]; s1 += cols[a1 + k] * w[w0 + k]; }
        out[p * f + fi] = s0; out[(p + 1) * f + fi] = s1;
      }
    }
    for (; p < pixels; p++) {
      const a0 = p * kc;
      for (let fi = 0; fi < f; fi++) {
        const w0 = fi * kc;
        let s0 = b[fi];
        for (let k = 0; k < kc; k++) s0 += cols[a0 + k] * w[w0 + k];
        out[p * f + fi] = s0;
      }
    }
    if (node.activation) applyActivation(node.activation, out);
    return [out, [oh, ow, f]];
  },

  /** BatchNorm in inference form: (x - running mean) / sqrt(running variance + epsilon) * gamma + beta, per channel. */
  batchnorm(node, x, shape) {
    const c = node.features, out = scratch(node, "out", x.length), scale = node.scale, shift = node.shift;
    for (let i = 0; i < x.length; i += c) for (let k = 0; k < c; k++) out[i + k] = x[i + k] * scale[k] + shift[k];
    return [out, shape];
  },

  activation(node, x, shape) {
    const out = scratch(node, "out", x.length);
    out.set(x);
    applyActivation(node.activation, out);
    return [out, shape];
  },

  /** Pool2D (windows inside the image only): (H, W, C) -> (H', W', C). */
  pool2d(node, x, shape) {
    const [ih, iw, c] = shape, [kh, kw] = node.size, [sh, sw] = node.stride;
    const oh = ih >= kh ? Math.floor((ih - kh) / sh) + 1 : 0, ow = iw >= kw ? Math.floor((iw - kw) / sw) + 1 : 0;
    const out = scratch(node, "out", oh * ow * c), isMax = node.mode === "max", scale = 1 / (kh * kw);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const o = (oy * ow + ox) * c;
        for (let k = 0; k < c; k++) {
          let v = isMax ? -Infinity : 0;
          for (let i = 0; i < kh; i++) {
            for (let j = 0; j < kw; j++) {
              const s = x[((oy * sh + i) * iw + ox * sw + j) * c + k];
              if (isMax) { if (s > v) v = s; } else v += s;
            }
          }
          out[o + k] = isMax ? v : v * scale;
        }
      }
    }
    return [out, [oh, ow, c]];
  },

  /** GlobalPool: (H, W, C) -> (C), the mean or the maximum of each channel. */
  globalpool(node, x, shape) {
    const c = shape[shape.length - 1], n = x.length / c, out = scratch(node, "out", c), isMax = node.mode === "max";
    for (let k = 0; k < c; k++) {
      let v = isMax ? -Infinity : 0;
      for (let i = 0; i < n; i++) { const s = x[i * c + k]; if (isMax) { if (s > v) v = s; } else v += s; }
      out[k] = isMax ? v : v / n;
    }
    return [out, [c]];
  },

  /** Dense: (C) -> (K), y = W x + b. */
  dense(node, x, shape) {
    const ci = node.inputSize, k = node.outputSize, w = node.weight, b = node.bias, out = scratch(node, "out", x.length / ci * k);
    for (let r = 0; r < x.length / ci; r++) {
      for (let o = 0; o < k; o++) {
        let s = b ? b[o] : 0;
        const wo = o * ci, xo = r * ci;
        for (let i = 0; i < ci; i++) s += w[wo + i] * x[xo + i];
        out[r * k + o] = s;
      }
    }
    return [out, shape.slice(0, -1).concat([k])];
  },
};

/** Padding.geometry with dilation 1: the output size and the zeros before the first input. */
function paddingGeometry(padding, l, k, s) {
  if (padding === "valid") return { out: l >= k ? Math.floor((l - k) / s) + 1 : 0, padLeft: 0 };
  const out = Math.ceil(l / s);
  return { out, padLeft: Math.floor(Math.max((out - 1) * s + k - l, 0) / 2) };
}

/** A node's reusable buffer of `n` float32 values (predictions run one at a time). */
function scratch(node, key, n) {
  const buffers = node.buffers ?? (node.buffers = {});
  if (!buffers[key] || buffers[key].length !== n) buffers[key] = new Float32Array(n);
  return buffers[key];
}

function applyActivation(a, y) {
  if (a === "relu") { for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0; }
  else if (a === "tanh") { for (let i = 0; i < y.length; i++) y[i] = Math.tanh(y[i]); }
  else if (a === "sigmoid") { for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-y[i])); }
  else { const slope = a.leakyRelu; for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] *= slope; }
}

/** An image classifier: preprocessing, the network, flip averaging, calibration, labels. */
class ImageModel {
  constructor(config, buffer) {
    const int = integerField;
    distinctNames(config.labels, 1, "labels");
    if (!["multi-class", "multi-label"].includes(config.outputs)) fail("outputs must be multi-class or multi-label");
    const p = config.preprocessing;
    if (p === null || typeof p !== "object") fail("preprocessing must be an object");
    int(p, "width", 1, 4096, "preprocessing"); int(p, "height", 1, 4096, "preprocessing");
    if (p.channels !== 1 && p.channels !== 3) fail("preprocessing.channels must be 1 or 3");
    if (!Array.isArray(p.zooms) || p.zooms.length < 1 || p.zooms.length > 8 || !p.zooms.every((z) => typeof z === "number" && z > 0 && z <= 64)) {
      fail("preprocessing.zooms must be 1 to 8 levels in (0, 64]");
    }
    finite(p.mean, "preprocessing.mean");
    if (!(finite(p.std, "preprocessing.std") > 0)) fail("preprocessing.std must be positive");
    const calibration = p.calibration ?? null;
    if (calibration !== null && (!Array.isArray(calibration) || calibration.length !== 2 || !calibration.every((v) => typeof v === "number" && Math.abs(v) <= 1e6)
        || !(calibration[0] > 0) || config.outputs !== "multi-class" || config.labels.length !== 2)) {
      fail("preprocessing.calibration must be [positive slope, intercept] of a two-class model");
    }
    this.kind = "image";
    this.name = String(config.name ?? "");
    this.task = String(config.task ?? "");
    this.labels = config.labels.slice();
    this.classes = this.labels;
    this.multiLabel = config.outputs === "multi-label";
    this.preprocessing = {
      width: p.width, height: p.height, channels: p.channels, zooms: p.zooms.map(f32), mean: f32(p.mean),
      inverseStd: f32(1 / f32(Math.max(f32(p.std), f32(1e-6)))), flipAveraging: p.flipAveraging === true, calibration: calibration && calibration.map(f32),
    };
    this.metrics = config.metrics ?? {};
    this.nodes = this.checkedGraph(config.graph, readTensors(config.weights, buffer));
  }

  /** The graph's nodes with their weights, checked: shapes follow from the input size, as Swift's loader checks. */
  checkedGraph(graph, tensors) {
    if (graph === null || typeof graph !== "object" || !Array.isArray(graph.nodes) || graph.nodes.length > 10000) fail("graph.nodes must be a list");
    const pre = this.preprocessing;
    const shapes = new Map([[String(graph.input), [pre.height, pre.width, pre.channels * pre.zooms.length]]]);
    const take = (name, shape) => {
      const t = tensors.get(name);
      if (!t) fail(`the weights lack ${name} (file truncated or from another version)`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) fail(`${name} has shape [${t.shape}], the network needs [${shape}]`);
      tensors.delete(name);
      return t.data;
    };
    const nodes = [];
    for (const [i, n] of graph.nodes.entries()) {
      if (n === null || typeof n !== "object" || typeof n.name !== "string" || !Array.isArray(n.inputs) || n.inputs.length < 1) {
        fail(`graph.nodes[${i}] needs a name and inputs`);
      }
      const name = n.name.slice(0, 80);
      if (shapes.has(name)) fail(`graph node ${name} is defined twice`);
      const inputs = n.inputs.map((from) => { if (!shapes.has(from)) fail(`graph node ${name} reads ${String(from).slice(0, 80)}, which is not an earlier node`); return from; });
      const shape = shapes.get(inputs[0]), node = { name, op: n.op, inputs, inputShape: shape };
      const image = () => { if (shape.length !== 3) fail(`graph node ${name} needs an image (H, W, C), gets [${shape}]`); };
      const size = (v, what) => { if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => Number.isInteger(x) && x >= 1 && x <= 64)) fail(`${name}.${what} must be two integers in 1...64`); return v; };
      const activation = (a) => {
        if (a === "relu" || a === "tanh" || a === "sigmoid") return a;
        if (a !== null && typeof a === "object" && typeof a.leakyRelu === "number" && Number.isFinite(a.leakyRelu)) return { leakyRelu: a.leakyRelu };
        fail(`graph node ${name}: activation ${JSON.stringify(a).slice(0, 40)} is not one this runtime runs (relu, tanh, sigmoid, leakyRelu)`);
      };
      let out;
      switch (n.op) {
        case "conv2d": {
          image();
          if (n.inputChannels !== shape[2] || !Number.isInteger(n.filters) || n.filters < 1 || n.filters > 4096) fail(`conv2d ${name} must read ${shape[2]} channels into 1...4096 filters`);
          if (n.padding !== "same" && n.padding !== "valid") fail(`conv2d ${name}: padding must be same or valid`);
          [node.kh, node.kw] = size(n.kernel, "kernel"); [node.sh, node.sw] = size(n.stride, "stride");
          node.f = n.filters; node.padding = n.padding;
          node.activation = n.activation == null ? null : activation(n.activation);
          node.weight = take(`${name}.weight`, [n.filters, node.kh, node.kw, shape[2]]);
          node.bias = take(`${name}.bias`, [n.filters]);
          const gy = paddingGeometry(n.padding, shape[0], node.kh, node.sh), gx = paddingGeometry(n.padding, shape[1], node.kw, node.sw);
          out = [gy.out, gx.out, n.filters];
          break;
        }
        case "batchnorm": {
          const c = shape[shape.length - 1];
          if (n.features !== c) fail(`batchnorm ${name} normalises ${String(n.features).slice(0, 12)} features; its input has ${c}`);
          const epsilon = finite(n.epsilon, `${name}.epsilon`);
          const gamma = take(`${name}.weight`, [c]), beta = take(`${name}.bias`, [c]);
          const mean = take(`${name}.running_mean`, [c]), variance = take(`${name}.running_var`, [c]);
          node.features = c; node.scale = new Float64Array(c); node.shift = new Float64Array(c);
          for (let k = 0; k < c; k++) {
            // Swift's 1 / sqrt(var + epsilon) in float32, then (x - mean) inv gamma + beta as x scale + shift.
            const inv = f32(1 / f32(Math.sqrt(f32(variance[k] + f32(epsilon)))));
            if (!Number.isFinite(inv)) fail(`batchnorm ${name}: a running variance plus epsilon is not positive`);
            node.scale[k] = inv * gamma[k]; node.shift[k] = beta[k] - mean[k] * inv * gamma[k];
          }
          out = shape;
          break;
        }
        case "activation": node.activation = activation(n.activation); out = shape; break;
        case "pool2d": {
          image();
          if (n.mode !== "max" && n.mode !== "average") fail(`pool2d ${name}: mode must be max or average`);
          node.mode = n.mode; node.size = size(n.size, "size"); node.stride = size(n.stride, "stride");
          out = [shape[0] >= node.size[0] ? Math.floor((shape[0] - node.size[0]) / node.stride[0]) + 1 : 0,
            shape[1] >= node.size[1] ? Math.floor((shape[1] - node.size[1]) / node.stride[1]) + 1 : 0, shape[2]];
          break;
        }
        case "globalpool":
          if (n.mode !== "max" && n.mode !== "average") fail(`globalpool ${name}: mode must be max or average`);
          node.mode = n.mode; out = [shape[shape.length - 1]];
          break;
        case "dense": {
          const c = shape[shape.length - 1];
          if (n.inputSize !== c || !Number.isInteger(n.outputSize) || n.outputSize < 1 || n.outputSize > 100000) fail(`dense ${name} must read ${c} features into 1...100000 outputs`);
          node.inputSize = c; node.outputSize = n.outputSize;
          node.weight = take(`${name}.weight`, [n.outputSize, c]);
          node.bias = n.bias === false ? null : take(`${name}.bias`, [n.outputSize]);
          out = shape.slice(0, -1).concat([n.outputSize]);
          break;
        }
        case "sum":
          if (!inputs.every((from) => String(shapes.get(from)) === String(shape))) fail(`sum ${name} adds shapes ${inputs.map((from) => `[${shapes.get(from)}]`).join(", ")}`);
          out = shape;
          break;
        case "concat": {
          const lead = String(shape.slice(0, -1));
          if (!inputs.every((from) => String(shapes.get(from).slice(0, -1)) === lead)) fail(`concat ${name} joins shapes that differ before the last axis`);
          node.widths = inputs.map((from) => shapes.get(from)[shapes.get(from).length - 1]);
          out = shape.slice(0, -1).concat([node.widths.reduce((a, b) => a + b, 0)]);
          break;
        }
        default: fail(`graph node ${name}: op ${String(n.op).slice(0, 20)} is not one this runtime runs`);
      }
      if (out.some((d) => d < 1)) fail(`graph node ${name} leaves nothing of a ${pre.width}x${pre.height} image`);
      if (out.reduce((a, b) => a * b, 1) > 1 << 26) fail(`graph node ${name} would hold more than 2^26 values`);
      node.shape = out;
      shapes.set(name, out);
      nodes.push(node);
    }
    if (tensors.size > 0) fail(`tensor ${[...tensors.keys()][0]} is not part of the network the configuration describes`);
    this.input = String(graph.input);
    this.output = String(graph.output);
    const last = shapes.get(this.output);
    if (!last || last.length !== 1 || last[0] !== this.labels.length) fail(`the graph's output ${this.output.slice(0, 80)} must give one value per label (${this.labels.length})`);
    return nodes;
  }

  /** The model input of an image at model size in [0, 1] (ImagePreprocessing.finish): zoom stack, then standardised. */
  finish(base) {
    const p = this.preprocessing, c = base.channels, levels = p.zooms.map((z) => zoomedImage(base, z)), total = c * levels.length;
    const n = base.width * base.height, out = new Float32Array(n * total);
    levels.forEach((level, k) => {
      for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) out[i * total + k * c + ch] = f32(f32(level.pixels[i * c + ch] - p.mean) * p.inverseStd);
    });
    return out;
  }

  /** The image at model size and channels in [0, 1] (ImagePreprocessing.base). */
  base(image) {
    const p = this.preprocessing;
    let x = imageSamples(image);
    if (x.channels !== p.channels) {
      const grey = greyImage(x);
      if (p.channels === 1) x = grey;
      else {
        const out = new Float32Array(grey.pixels.length * p.channels);
        for (let i = 0; i < grey.pixels.length; i++) for (let k = 0; k < p.channels; k++) out[i * p.channels + k] = grey.pixels[i];
        x = { width: grey.width, height: grey.height, channels: p.channels, pixels: out };
      }
    }
    return resizedImage(x, p.width, p.height);
  }

  /** The network's outputs (K) for one model input. */
  logits(input) {
    const values = new Map([[this.input, input]]);
    for (const node of this.nodes) {
      const x = values.get(node.inputs[0]), shape = node.inputShape;
      let y;
      if (node.op === "sum") {
        y = scratch(node, "out", x.length);
        y.set(x);
        for (const from of node.inputs.slice(1)) { const z = values.get(from); for (let i = 0; i < y.length; i++) y[i] += z[i]; }
      } else if (node.op === "concat") {
        y = scratch(node, "out", node.shape.reduce((a, b) => a * b, 1));
        const total = node.shape[node.shape.length - 1], rows = y.length / total;
        let at = 0;
        node.inputs.forEach((from, j) => {
          const z = values.get(from), w = node.widths[j];
          for (let r = 0; r < rows; r++) for (let i = 0; i < w; i++) y[r * total + at + i] = z[r * w + i];
          at += w;
        });
      } else {
        y = imageLayers[node.op](node, x, shape)[0];
      }
      values.set(node.name, y);
    }
    return Float64Array.from(values.get(this.output));
  }

  /** Softmax over classes or a sigmoid per label, of one base image. */
  raw(base) {
    const z = this.logits(this.finish(base));
    return this.multiLabel ? z.map((v) => 1 / (1 + Math.exp(-v))) : softmax(z);
  }

  /** Probabilities (Float64Array, in label order) of one image, as ImageClassifier.probabilities gives them. */
  probabilities(image) {
    const base = this.base(image), p = this.preprocessing;
    let out = this.raw(base);
    if (p.flipAveraging) {
      const mirrored = this.raw(flippedImage(base));
      out = out.map((v, k) => (v + mirrored[k]) / 2);
    }
    if (p.calibration && !this.multiLabel && out.length === 2) {
      // ImageClassifier.calibrated: sigmoid(slope logit(p) + intercept), p clamped to [1e-7, 1 - 1e-7],
      // in Swift's float32 steps: the other class, 1 - p in float32, keeps Swift's rounding.
      const lo = f32(1e-7), hi = f32(1 - lo), q = Math.min(Math.max(f32(out[1]), lo), hi);
      const logit = f32(Math.log(f32(q / f32(1 - q))));
      const c = f32(1 / f32(1 + f32(Math.exp(-f32(f32(p.calibration[0] * logit) + p.calibration[1])))));
      out = Float64Array.from([f32(1 - c), c]);
    }
    return out;
  }

  /** {label: probability} of one image `{width, height, channels, data}` (see imageSamples). */
  predictImage(image) {
    const p = this.probabilities(image), out = {};
    this.labels.forEach((label, k) => { out[label] = p[k]; });
    return out;
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
  return config.kind === "image" ? new ImageModel(config, weights) : new TextModel(config, weights);
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
export { ImageModel, imageSamples };
