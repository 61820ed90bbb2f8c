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
//   const tb = await loadModel("tb");            // a TB resistance model
//   tb.resist(vcfText, { file: "x.vcf" });       // what `triage resist --model M --json` prints, one object per sample
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
const SUPPORTED_KINDS = ["text", "image", "tb-resistance"];

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
  /**
   * Conv2D: (H, W, C) -> (H', W', F). In the WebAssembly kernel (attachWasmKernel): the input copied
   * into the node's zero-padded buffer, the windows read in place, and a batch norm and ReLU fused
   * after it run in the same module; the output is a view of the module's memory. Else im2col
   * (P, KH KW C) and a product with the (F, KH KW C) weight, 2 pixels x 4 filters at a time.
   */
  conv2d(node, x, shape) {
    const [ih, iw, c] = shape, { kh, kw, sh, sw, f } = node;
    const wasm = node.wasm;
    if (wasm) {
      const { heap, xp, wp, top, left, out } = wasm, at = xp / 4;
      if (wp === iw && top === 0) heap.set(x, at);
      else for (let y = 0; y < ih; y++) heap.set(x.subarray(y * iw * c, (y + 1) * iw * c), at + ((y + top) * wp + left) * c);
      if (wasm.winograd) {
        wasm.winograd(xp, wp, c, wasm.weight, wasm.bias, f, wasm.oh, wasm.ow, wasm.v, wasm.m, out, wasm.scale, wasm.shift, wasm.relu ? 1 : 0, wasm.pooled ? 1 : 0);
      } else {
        wasm.conv(xp, wp, c, wasm.weight, wasm.bias, f, kh, kw, sh, sw, wasm.oh, wasm.ow, out, wasm.scale, wasm.shift, wasm.relu ? 1 : 0);
      }
      if (node.activation) applyActivation(node.activation, wasm.view);
      return [wasm.view, [wasm.oh, wasm.ow, f]];
    }
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
    const wasm = node.wasm;
    if (wasm) {
      // In the module's memory already when a Conv2D (with its batch norm and ReLU) wrote it.
      let at = x.byteOffset;
      if (x.buffer !== wasm.heap.buffer || !(x instanceof Float32Array)) { wasm.heap.set(x, wasm.input / 4); at = wasm.input; }
      wasm.pool(at, iw, c, kh, kw, sh, sw, oh, ow, node.mode === "max" ? 1 : 0, wasm.out);
      return [wasm.view, [oh, ow, c]];
    }
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
    // Pixel by pixel (reading x in order), each channel's values in pixel order, as a sum or maximum per channel would take them.
    const v = node.sums ?? (node.sums = new Float64Array(c));
    v.fill(isMax ? -Infinity : 0);
    for (let i = 0; i < n; i++) {
      const at = i * c;
      if (isMax) { for (let k = 0; k < c; k++) { const s = x[at + k]; if (s > v[k]) v[k] = s; } } else for (let k = 0; k < c; k++) v[k] += x[at + k];
    }
    for (let k = 0; k < c; k++) out[k] = isMax ? v[k] : v[k] / n;
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

/** The WebAssembly module of wasm/kernels.c (Conv2D's product with 128-bit SIMD), as base64. */
// BEGIN GENERATED wasm kernel (tools/build-wasm; tools/build-wasm --check compares it with a rebuild)
const WASM_KERNEL = "AGFzbQEAAAABNANgEH9/f39/f39/f39/f39/f38AYA9/f39/f39/f39/f39/f38AYAt/f39/f39/f39/fwADBAMAAQIEBQFwAQEBBQMBAAIGDwJ/AUGAiAQLfwBBgIgECwcxBQZtZW1vcnkCAARjb252AAAId2lub2dyYWQAAQRwb29sAAILX19oZWFwX2Jhc2UDAQqJeQPtPQcofwh7B38FewF/AX0CfyAHIAJsIRBBACERAkAgCyAKbCISQQRIDQAgBUEASiANQQBHcSETIAZBAEogEEEASnEhFCAFQf7///8HcSEVIBBBA3EhFiAQQQFxIRcgEEF/aiEYIAkgAmwhGUEAIBBB/P///wdxayEaIAMgBUECdCIHaiEbQQAgEEH+////B3FrIRwgAiABbEECdCEdIAwgBUEEdCIeaiEfIAQgB2ohICAQIAVsQQJ0ISEgCCABbCACbCEiIAVBCEghIyAMISQgDCAHaiIlISYgDCAFQQN0IidqIighKSAMIAVBDGxqIiohK0EAISxBBCEtQQAhEQNAIBEhCiAtIREgDCAKIAVsQQJ0aiIuIAdqIi8gB2oiMCAHaiExIAAgCiAKIAttIi0gC2xrIBlsQQJ0aiAtICJsQQJ0aiEyIAAgCkEDciItIC0gC20iLSALbGsgGWxBAnRqIC0gImxBAnRqITMgACAKQQJyIi0gLSALbSItIAtsayAZbEECdGogLSAibEECdGohNCAAIApBAXIiCiAKIAttIgogC2xrIBlsQQJ0aiAKICJsQQJ0aiE1QQAhNgJAICMNAEEAITdBCCEKA0AgCiE2AkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAiOCE5DAELIAQgN0ECdGoiCv0AABAhOSAK/QAAACE4CwJAAkAgFA0AIDghOiA5ITsgOCE8IDkhPSA4IT4gOSE/DAELIAMgN0ECdGohQEEAIUEgMiFCIDUhQyA0IUQgMyFFIDkhPyA4IT4gOSE9IDghPCA5ITsgOCE6A0AgQCEtQQAhCiAQIUYDQCA/IC1BEGr9AAAAIkcgRSAKav0JAgAiSP3mAf3kASE/ID0gRyBEIApq/QkCACJJ/eYB/eQBIT0gOyBHIEMgCmr9CQIAIkr95gH95AEhOyA5IEcgQiAKav0JAgAiS/3mAf3kASE5IApBBGohCiA+IC39AAAAIkcgSP3mAf3kASE+IDwgRyBJ/eYB/eQBITwgOiBHIEr95gH95AEhOiA4IEcgS/3mAf3kASE4IC0gB2ohLSBGQX9qIkYNAAsgQiAdaiFCIEMgHWohQyBEIB1qIUQgRSAdaiFFIEAgIWohQCBBQQFqIkEgBkcNAAsLIC4gN0ECdCIKaiItIDn9CwAQIC0gOP0LAAAgLyAKaiItIDv9CwAQIC0gOv0LAAAgMCAKaiItID39CwAQIC0gPP0LAAAgMSAKaiIKID/9CwAQIAogPv0LAAAgNiE3IDZBCGoiCiAFTA0ACwsCQAJAIDZBBHIiLSAFTA0AIDYhTAwBCyAbIDZBAnQiCmohQiADIApqIQpBACE3A0AgLSFMAkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhRwwBCyAEIDZBAnRq/QAAACFHCwJAIBRFDQAgAyA2QQJ0aiFAQQAhQSA3IUUgMiFEA0ACQAJAIBgNAEEAIS0gQCFGDAELQQAhQyBFIS0gRCFGA0AgRyAKIC1q/QAAACBG/QkCAP3mAf3kASBCIC1q/QAAACBGQQRq/QkCAP3mAf3kASFHIC0gJ2ohLSBGQQhqIUYgHCBDQX5qIkNHDQALIAogLWohRkEAIENrIS0LAkAgF0UNACBHIEb9AAAAIEQgLUECdGr9CQIA/eYB/eQBIUcLIEUgIWohRSBEIB1qIUQgQCAhaiFAIEFBAWoiQSAGRw0ACwsgLiA2QQJ0IjZqIEf9CwAAAkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhRwwBCyAEIDZq/QAAACFHCwJAIBRFDQAgAyA2aiFAQQAhQSA3IUUgNSFEA0ACQAJAIBgNAEEAIS0gQCFGDAELQQAhQyBFIS0gRCFGA0AgRyAKIC1q/QAAACBG/QkCAP3mAf3kASBCIC1q/QAAACBGQQRq/QkCAP3mAf3kASFHIC0gJ2ohLSBGQQhqIUYgHCBDQX5qIkNHDQALIAogLWohRkEAIENrIS0LAkAgF0UNACBHIEb9AAAAIEQgLUECdGr9CQIA/eYB/eQBIUcLIEUgIWohRSBEIB1qIUQgQCAhaiFAIEFBAWoiQSAGRw0ACwsgLyA2aiBH/QsAAAJAAkAgBA0A/QwAAAAAAAAAAAAAAAAAAAAAIUcMAQsgBCA2av0AAAAhRwsCQCAURQ0AIAMgNmohQEEAIUEgNyFFIDQhRANAAkACQCAYDQBBACEtIEAhRgwBC0EAIUMgRSEtIEQhRgNAIEcgCiAtav0AAAAgRv0JAgD95gH95AEgQiAtav0AAAAgRkEEav0JAgD95gH95AEhRyAtICdqIS0gRkEIaiFGIBwgQ0F+aiJDRw0ACyAKIC1qIUZBACBDayEtCwJAIBdFDQAgRyBG/QAAACBEIC1BAnRq/QkCAP3mAf3kASFHCyBFICFqIUUgRCAdaiFEIEAgIWohQCBBQQFqIkEgBkcNAAsLIDAgNmogR/0LAAACQAJAIAQNAP0MAAAAAAAAAAAAAAAAAAAAACFHDAELIAQgNmr9AAAAIUcLAkAgFEUNACADIDZqIUBBACFBIDchRSAzIUQDQAJAAkAgGA0AQQAhLSBAIUYMAQtBACFDIEUhLSBEIUYDQCBHIAogLWr9AAAAIEb9CQIA/eYB/eQBIEIgLWr9AAAAIEZBBGr9CQIA/eYB/eQBIUcgLSAnaiEtIEZBCGohRiAcIENBfmoiQ0cNAAsgCiAtaiFGQQAgQ2shLQsCQCAXRQ0AIEcgRv0AAAAgRCAtQQJ0av0JAgD95gH95AEhRwsgRSAhaiFFIEQgHWohRCBAICFqIUAgQUEBaiJBIAZHDQALCyAxIDZqIEf9CwAAIDdBEGohNyBMITYgTEEEaiItIAVMDQALCwJAIAUgTEwNAAJAIBQNAAJAIAUgTGsiNkEYSQ0AIAwgHiAsbCItaiBMQQJ0IgpqIkQgKCAtaiJCSSAlIC1qIkYgCmoiRSBGSXENACBEICogLWoiQ0kgQiAKaiJAIEZJcQ0AIEQgHyAtaiItSSBDIApqIkEgRklxDQAgRCAgSSAEIApqIkQgRklxDQAgRSBDSSBAIEJJcQ0AIEUgLUkgQSBCSXENACBFICBJIEQgQklxDQAgQCAtSSBBIENJcQ0AIEAgIEkgRCBDSXENACBBICBJIEQgLUlxDQAgTCA2QXxxIkBqIUwgBCEtICQhRiAmIUIgKSFDICshRCBAIUUDQCBGIApqIC0gCmr9AAIAIkf9CwIAIEIgCmogR/0LAgAgQyAKaiBH/QsCACBEIApqIEf9CwIAIC1BEGohLSBGQRBqIUYgQkEQaiFCIENBEGohQyBEQRBqIUQgRUF8aiJFDQALIDYgQEYNAgsgTEEBaiEKAkAgBSBMa0EBcUUNACAuIExBAnQiLWogBCAtaiJGKgIAIk04AgAgLyAtaiBNOAIAIDAgLWogRioCACJNOAIAIDEgLWogTTgCACAKIUwLIAUgCkYNASBMQQJ0IQogBSBMayFAIAQhLSArIUYgJCFCICYhQyApIUQDQCBCIApqIkEgLSAKaiJFKgIAIk04AgAgQyAKaiI2IE04AgAgRCAKaiI3IEUqAgAiTTgCACBGIApqIkwgTTgCACBBQQRqIEVBBGoiRSoCACJNOAIAIDZBBGogTTgCACA3QQRqIEUqAgAiTTgCACBMQQRqIE04AgAgLUEIaiEtIEZBCGohRiBCQQhqIUIgQ0EIaiFDIERBCGohRCBAQX5qIkANAAwCCwsDQCAEIExBAnQiTmoiTyoCACFNQQAhNyAyIUAgAyBOaiJBITYDQAJAAkAgGEEDSSJFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgLiBOaiBNOAIAIE8qAgAhTUEAITcgNSFAIEEhNgNAAkACQCBFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgLyBOaiBNOAIAIE8qAgAhTUEAITcgNCFAIEEhNgNAAkACQCBFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgMCBOaiBNOAIAIE8qAgAhTUEAITYgMyFAA0ACQAJAIEVFDQBBACEtIEEhCgwBC0EAIS0gQCEKIEEhRgNAIApBDGoqAgAgRiJCIAdqIkYgB2oiQyAHaiJEKgIAlCAKQQhqKgIAIEMqAgCUIApBBGoqAgAgRioCAJQgCioCACBCKgIAlCBNkpKSkiFNIApBEGohCiBEIAdqIUYgGiAtQXxqIi1HDQALIEIgHmohCkEAIC1rIS0LAkAgFkUNACBAIC1BAnRqIS0gFiFGA0AgLSoCACAKKgIAlCBNkiFNIAogB2ohCiAtQQRqIS0gRkF/aiJGDQALCyBAIB1qIUAgQSAhaiFBIDZBAWoiNiAGRw0ACyAxIE5qIE04AgAgTEEBaiJMIAVHDQALCwJAIBNFDQACQCAPRQ0AQQAhLQJAAkAgBUECSSJDDQAgJCEKIA0hLSAOIUYgFSFCA0AgCiAK/V0CAP1fIC39AAMA/fIBIEb9AAMA/fABIkf9IQC2/RMgR/0hAbb9IAEiRyBH/QwAAAAAAAAAAAAAAAAAAAAA/UP9T/1bAgAAIApBCGohCiAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAVIS0gBSAVRg0BCyAFIC1rIUIgJCAtQQJ0aiEKIA0gLUEDdCJGaiEtIA4gRmohRgNAIApDAAAAACAKKgIAuyAtKwMAoiBGKwMAoLYiTSBNQwAAAABdGzgCACAKQQRqIQogLUEIaiEtIEZBCGohRiBCQX9qIkINAAsLQQAhLQJAAkAgQw0AICYhCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJH/SEAtv0TIEf9IQG2/SABIkcgR/0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAQsgBSAtayFCICYgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKQwAAAAAgCioCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALC0EAIS0CQAJAIEMNACApIQogDSEtIA4hRiAVIUIDQCAKIAr9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiR/0hALb9EyBH/SEBtv0gASJHIEf9DAAAAAAAAAAAAAAAAAAAAAD9Q/1P/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiApIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCkMAAAAAIAoqAgC7IC0rAwCiIEYrAwCgtiJNIE1DAAAAAF0bOAIAIApBBGohCiAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwtBACEtAkAgQw0AICshCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJH/SEAtv0TIEf9IQG2/SABIkcgR/0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAgsgBSAtayFCICsgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKQwAAAAAgCioCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQAMAgsLQQAhLQJAAkAgBUECSSJDDQAgJCEKIA0hLSAOIUYgFSFCA0AgCiAK/V0CAP1fIC39AAMA/fIBIEb9AAMA/fABIkf9IQC2/RMgR/0hAbb9IAH9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAQsgBSAtayFCICQgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKIAoqAgC7IC0rAwCiIEYrAwCgtjgCACAKQQRqIQogLUEIaiEtIEZBCGohRiBCQX9qIkINAAsLQQAhLQJAAkAgQw0AICYhCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJH/SEAtv0TIEf9IQG2/SAB/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiAmIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCiAKKgIAuyAtKwMAoiBGKwMAoLY4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALC0EAIS0CQAJAIEMNACApIQogDSEtIA4hRiAVIUIDQCAKIAr9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiR/0hALb9EyBH/SEBtv0gAf1bAgAAIApBCGohCiAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAVIS0gBSAVRg0BCyAFIC1rIUIgKSAtQQJ0aiEKIA0gLUEDdCJGaiEtIA4gRmohRgNAIAogCioCALsgLSsDAKIgRisDAKC2OAIAIApBBGohCiAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwtBACEtAkAgQw0AICshCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJH/SEAtv0TIEf9IQG2/SAB/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiArIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCiAKKgIAuyAtKwMAoiBGKwMAoLY4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALCyAkIB5qISQgJiAeaiEmICkgHmohKSArIB5qISsgLEEBaiEsIBFBBGoiLSASTA0ACwsCQCASIBFMDQAgBUEASiANQQBHcSEuIAZBAEogEEEASnEhLyAFQQR0ITYgBUEDdCEaIAVBAnQhCiAFQf7///8HcSEyIBBBA3EhQCAQQQFxIUEgEEF/aiEWIBIgEWshMCAJIAJsITFBACAQQfz///8HcWshRCACIAFsQQJ0IRhBACAQQf7///8HcWshQyAQIAVsQQJ0IRcgCCABbCACbCFPIAVBfGoiNEF8cUEEaiEVIDRBAnZBAWoiB0EDcSEzIAwgESAFbEECdGoiJiAEayE1IDRBAnRBcHFBEGohJCAHQfz///8HcSIZQQJ0QQRyISIgJiFMQQAhTgNAIAAgESARIAttIgcgC2xrIDFsQQJ0aiBPIAdsQQJ0aiEUIAogTmwhHSAMIBEgBWxBAnRqIRBBACE3AkAgBUEESA0AAkAgL0UNAEEAIQdBBCEtA0AgLSE3AkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhRwwBCyAEIAdBAnRq/QAAACFHCyADIAdBAnQiIWohQkEAIUUgFCEnA0ACQAJAIBYNAEEAIQcgQiEtDAELIEIgCmohHEEAIQcgJyEtQQAhRgNAIEcgQiAHav0AAAAgLf0JAgD95gH95AEgHCAHav0AAAAgLUEEav0JAgD95gH95AEhRyAHIBpqIQcgLUEIaiEtIEMgRkF+aiJGRw0ACyBCIAdqIS1BACBGayEHCwJAIEFFDQAgRyAt/QAAACAnIAdBAnRq/QkCAP3mAf3kASFHCyAnIBhqIScgQiAXaiFCIEVBAWoiRSAGRw0ACyAQICFqIEf9CwAAIDchByA3QQRqIi0gBUwNAAwCCwsCQAJAAkAgBEUNACAZIUYgTCEHIAQhLSA0QQxPDQFBACE3QQQhBwwCCyAVITcgJEUNAiAmIB1qQQAgJPwLACAVITcMAgsDQCAHIC39AAAA/QsAACAHQRBqIC1BEGr9AAAA/QsAACAHQSBqIC1BIGr9AAAA/QsAACAHQTBqIC1BMGr9AAAA/QsAACAHQcAAaiEHIC1BwABqIS0gRkF8aiJGDQALICJBfGohNyAiIQcLIDNFDQAgMyEtA0AgECA3QQJ0IkZqIAQgRmr9AAAA/QsAACAHIkZBBGohByBGITcgLUF/aiItDQALIAdBfGohNwsCQCAFIDdMDQACQCAvDQACQCAFIDdrIkZBBEkNACA1IB1qQRBJDQAgN0ECdCEHIDcgRkF8cSJCaiE3IEIhLQNAIEwgB2ogBCAHav0AAgD9CwIAIAdBEGohByAtQXxqIi0NAAsgRiBCRg0CCyA3IUYCQCAFIDdrQQNxIi1FDQAgNyAtaiFGIDdBAnQhBwNAIEwgB2ogBCAHaioCADgCACAHQQRqIQcgLUF/aiItDQALCyA3IAVrQXxLDQEgRkECdCEHIAUgRmshQgNAIEwgB2oiLSAEIAdqIkYqAgA4AgAgLUEEaiBGQQRqKgIAOAIAIC1BCGogRkEIaioCADgCACAtQQxqIEZBDGoqAgA4AgAgB0EQaiEHIEJBfGoiQg0ADAILCwNAIAMgN0ECdCIeaiEhIAQgHmoqAgAhTUEAIR0gFCFFA0ACQAJAIBZBA08NAEEAIS0gISEHDAELQQAhLSBFIQcgISFGA0AgB0EMaioCACBGIkIgCmoiRiAKaiIcIApqIicqAgCUIAdBCGoqAgAgHCoCAJQgB0EEaioCACBGKgIAlCAHKgIAIEIqAgCUIE2SkpKSIU0gB0EQaiEHICcgCmohRiBEIC1BfGoiLUcNAAsgQiA2aiEHQQAgLWshLQsCQCBARQ0AIEUgLUECdGohLSBAIUYDQCAtKgIAIAcqAgCUIE2SIU0gByAKaiEHIC1BBGohLSBGQX9qIkYNAAsLIEUgGGohRSAhIBdqISEgHUEBaiIdIAZHDQALIBAgHmogTTgCACA3QQFqIjcgBUcNAAsLAkAgLkUNAAJAIA9FDQBBACEtAkAgBUECSQ0AIEwhByANIS0gDiFGIDIhQgNAIAcgB/1dAgD9XyAt/QADAP3yASBG/QADAP3wASJH/SEAtv0TIEf9IQG2/SABIkcgR/0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAHQQhqIQcgLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgMiEtIAUgMkYNAgsgBSAtayFCIEwgLUECdGohByANIC1BA3QiRmohLSAOIEZqIUYDQCAHQwAAAAAgByoCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgB0EEaiEHIC1BCGohLSBGQQhqIUYgQkF/aiJCDQAMAgsLQQAhLQJAIAVBAkkNACBMIQcgDSEtIA4hRiAyIUIDQCAHIAf9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiR/0hALb9EyBH/SEBtv0gAf1bAgAAIAdBCGohByAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAyIS0gBSAyRg0BCyAFIC1rIUIgTCAtQQJ0aiEHIA0gLUEDdCJGaiEtIA4gRmohRgNAIAcgByoCALsgLSsDAKIgRisDAKC2OAIAIAdBBGohByAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwsgTCAKaiFMIBFBAWohESBOQQFqIk4gMEcNAAsLC6wnAjV/D3sgB0EBakECbSIPIAZBAWpBAm1sIhAgAmwhEQJAIBBBAUgNACACQQFIDQAgAkEBdCESIAJBAnQhEyABQQJ0IhRBBGohFSAUQQhqIRYgFEEMaiEXIAFBA3QiGEEEciEZIBhBCGohGiAYQQxqIRsgAUEMbCIcQQRqIR0gHEEIaiEeIAEgD2tBA3QhHyAcQQxqISAgCCARQQN0aiEhIAggEUEMbGohIiAIIBFBBHRqISMgCCARQRRsaiEkIAggEUEYbGohJSAIIBFBHGxqISYgCCARQQV0aiEnIAggEUEkbGohKCAIIBFBKGxqISkgCCARQSxsaiEqIAggEUEwbGohKyAIIBFBNGxqISwgCCARQThsaiEtIAggEUE8bGohLiAIIBFBAnRqIS9BACEwIAghMQNAIAAgAiAfIDAgD20iMmwgMEEDdGoiM0EEamxqITQgACACIDNBCGpsaiE1IAAgAiAzQQxqbGohNiAAIAIgMyAUamxqITcgACACIDMgFWpsaiE4IAAgAiAzIBZqbGohOSAAIAIgMyAXamxqITogACACIDMgGGpsaiE7IAAgAiAzIBlqbGohPCAAIAIgMyAaamxqIT0gACACIDMgG2psaiE+IAAgAiAzIBxqbGohPyAAIAIgMyAdamxqIUAgACACIDMgHmpsaiFBIAAgAiAzICBqbGohQiAAIBIgMiABbCAwIDIgD2xramxBAnRqIUNBACEzQQAhMgNAIEIgM2r9AAAAIUQgQCAzav0AAAAhRSA/IDNq/QAAACFGIEEgM2r9AAAAIUcgOiAzav0AAAAhSCA4IDNq/QAAACFJIDcgM2r9AAAAIUogOSAzav0AAAAhSyA+IDNq/QAAACFMIDYgM2r9AAAAIU0gPCAzav0AAAAhTiA0IDNq/QAAACFPIDEgM2ogQyAzav0AAAAgOyAzav0AAAAiUP3lASA1IDNq/QAAACA9IDNq/QAAACJR/eUBIlL95QH9CwAAIC8gM2ogTyBO/eUBIk8gUv3kAf0LAAAgISAzaiBSIE/95QH9CwAAICIgM2ogTyBNIEz95QH95QH9CwAAICMgM2ogSiBQ/eQBIEsgUf3kASJS/eUB/QsAACAkIDNqIEkgTv3kASJPIFL95AH9CwAAICUgM2ogUiBP/eUB/QsAACAmIDNqIE8gSCBM/eQB/eUB/QsAACAnIDNqIFAgSv3lASBRIEv95QEiUP3lAf0LAAAgKCAzaiBOIEn95QEiTiBQ/eQB/QsAACApIDNqIFAgTv3lAf0LAAAgKiAzaiBOIEwgSP3lAf3lAf0LAAAgKyAzaiBKIEb95QEgSyBH/eUBIkr95QH9CwAAICwgM2ogSSBF/eUBIkkgSv3kAf0LAAAgLSAzaiBKIEn95QH9CwAAIC4gM2ogSSBIIET95QH95QH9CwAAIDNBEGohMyAyQQRqIjIgAkgNAAsgMSATaiExIC8gE2ohLyAhIBNqISEgIiATaiEiICMgE2ohIyAkIBNqISQgJSATaiElICYgE2ohJiAnIBNqIScgKCATaiEoICkgE2ohKSAqIBNqISogKyATaiErICwgE2ohLCAtIBNqIS0gLiATaiEuIDBBAWoiMCAQRw0ACwsgAkEFdCExIAVBBHQhQiACQQR0ITkgAkEBcSEoIBBBA3EhFSACQX9qISkgBSACbCIYQQJ0IRxBACACQf7///8HcWshJUEAIBBBfHFrIRYgCCACQQJ0Ij1qIQAgCCACQQN0aiETIAggAkEMbGohMCAQIAVsIhRBAnQhEiARQQJ0IUEgBUECdCI6QXxqQXBxQRBqIT8gAyEvIAkhASAIIUNBACFAA0AgCSBAIBRsQQJ0aiE8IAMgGCBAbEECdGohKiAIIEAgEWxBAnRqIT5BACE4AkAgEEEESA0AQQAhO0EEITMgQyE0IAAhNSATITYgMCE3A0AgMyE4IDwgOyAFbEECdGoiKyA6aiIsIDpqIi0gOmohLkEAISYCQCAFQQhIDQBBACEnQQghMwNAIDMhJgJAAkAgAkEBTg0A/QwAAAAAAAAAAAAAAAAAAAAAIkohSyBKIUwgSiFOIEohUCBKIVEgSiFSIEohSQwBCyAqICcgAmxBAnRqITMgNCEyIDUhISA2ISIgNyEjIAIhJP0MAAAAAAAAAAAAAAAAAAAAACJJIVIgSSFRIEkhUCBJIU4gSSFMIEkhSyBJIUoDQCBQIDP9AAAAIkggI/0JAgAiT/3mAf3kASFQIEwgSCAi/QkCACJE/eYB/eQBIUwgSiBIICH9CQIAIkX95gH95AEhSiBJIEggMv0JAgAiRv3mAf3kASFJIFEgM0EQav0AAAAiSCBP/eYB/eQBIVEgTiBIIET95gH95AEhTiBLIEggRf3mAf3kASFLIFIgSCBG/eYB/eQBIVIgMkEEaiEyICFBBGohISAiQQRqISIgI0EEaiEjIDNBIGohMyAkQX9qIiQNAAsLICsgJ0ECdCIzaiIyIFL9CwAQIDIgSf0LAAAgLCAzaiIyIEv9CwAQIDIgSv0LAAAgLSAzaiIyIE79CwAQIDIgTP0LAAAgLiAzaiIzIFH9CwAQIDMgUP0LAAAgJiEnICZBCGoiMyAFTA0ACwsCQCAmIAVODQACQAJAAkACQCACQQFIDQAgOyACbEECdCEjICogJiACbEECdGohM/0MAAAAAAAAAAAAAAAAAAAAACFIICkNAUEAISEgMyEyDAILICsgJkECdCIzav0MAAAAAAAAAAAAAAAAAAAAACJI/QsAACAsIDNqIEj9CwAAIC0gM2ogSP0LAAAMAgtBACEiIDQhISAzITIDQCBIIDL9AAAAICH9CQIA/eYB/eQBIDJBEGr9AAAAICFBBGr9CQIA/eYB/eQBIUggIUEIaiEhIDJBIGohMiAlICJBfmoiIkcNAAtBACAiayEhCyA+ICNqISQCQCAoRQ0AIEggMv0AAAAgJCAhQQJ0av0JAgD95gH95AEhSAsgKyAmQQJ0IiNqIEj9CwAA/QwAAAAAAAAAAAAAAAAAAAAAIUgCQAJAICkNAEEAISEgMyEyDAELQQAhIiA1ISEgMyEyA0AgSCAy/QAAACAh/QkCAP3mAf3kASAyQRBq/QAAACAhQQRq/QkCAP3mAf3kASFIICFBCGohISAyQSBqITIgJSAiQX5qIiJHDQALQQAgImshIQsgJCA9aiEkAkAgKEUNACBIIDL9AAAAICQgIUECdGr9CQIA/eYB/eQBIUgLICwgI2ogSP0LAAD9DAAAAAAAAAAAAAAAAAAAAAAhSAJAAkAgKQ0AQQAhISAzITIMAQtBACEiIDYhISAzITIDQCBIIDL9AAAAICH9CQIA/eYB/eQBIDJBEGr9AAAAICFBBGr9CQIA/eYB/eQBIUggIUEIaiEhIDJBIGohMiAlICJBfmoiIkcNAAtBACAiayEhCyAkID1qISICQCAoRQ0AIEggMv0AAAAgIiAhQQJ0av0JAgD95gH95AEhSAsgLSAjaiBI/QsAAP0MAAAAAAAAAAAAAAAAAAAAACFIAkACQCApDQBBACEyDAELQQAhISA3ITIDQCBIIDP9AAAAIDL9CQIA/eYB/eQBIDNBEGr9AAAAIDJBBGr9CQIA/eYB/eQBIUggMkEIaiEyIDNBIGohMyAlICFBfmoiIUcNAAtBACAhayEyCyAoRQ0AIEggM/0AAAAgIiA9aiAyQQJ0av0JAgD95gH95AEhSAsgLiAmQQJ0aiBI/QsAAAsgNCA5aiE0IDUgOWohNSA2IDlqITYgNyA5aiE3IDghOyA4QQRqIjMgEEwNAAsLAkAgBUEBSA0AIDggEE4NAAJAIAJBAUgNACBDID0gOGxqISsDQCA8IDggBWxBAnRqIScgPiA4IAJsQQJ0aiEsQQAhJkEAISQDQCAkQfj///8HcSEyAkACQCApDQAgKiAyIAJsQQJ0aiAkQQRxQQJ0aiEz/QwAAAAAAAAAAAAAAAAAAAAAIUhBACEyDAELIC8gMSAkQQN2bCAmQQFxQQR0amohM0EEQQggMkEIaiAFShsiMkECdCEiIDJBA3QhI/0MAAAAAAAAAAAAAAAAAAAAACFIQQAhISArITIDQCBIIDP9AAAAIDL9CQIA/eYB/eQBIDMgImr9AAAAIDJBBGr9CQIA/eYB/eQBIUggMyAjaiEzIDJBCGohMiAlICFBfmoiIUcNAAtBACAhayEyCwJAIChFDQAgSCAz/QAAACAsIDJBAnRq/QkCAP3mAf3kASFICyAnICRBAnRqIEj9CwAAICZBAXMhJiAkQQRqIiQgBUgNAAsgKyA9aiErIDhBAWoiOCAQRw0ADAILC0EAITMCQCA4IBBrQXxLDQAgOiA4bCEjIBYgOGohIiAFIDhBAnQiM0EEamwhJCAFIDNBCGpsISYgBSAzQQxqbCEnQQAhISABITMDQAJAID9FIjINACAzICNqQQAgP/wLAAsCQCAyDQAgMyAkakEAID/8CwALAkAgMg0AIDMgJmpBACA//AsACwJAIDINACAzICdqQQAgP/wLAAsgMyBCaiEzICIgIUF8aiIhRw0AC0EAICFrITMLIBVFDQAgASAFIDNBAnQgOEECdGpsaiEzIBUhMgNAAkAgP0UNACAzQQAgP/wLAAsgMyA6aiEzIDJBf2oiMg0ACwsgLyAcaiEvIAEgEmohASBDIEFqIUMgACBBaiEAIBMgQWohEyAwIEFqITAgQEEBaiJAQRBHDQALAkAgEEEBSA0AIAdBAm0hPiAFQQFIDQAgB0EBdCAPQQF0Ij9rQQJ0IUAgBUECdCE0IAkgFEEDdGohIyAJIBRBDGxqISQgCSAUQQR0aiElIAkgFEEUbGohJiAJIBRBGGxqIQIgCSAUQRxsaiEnIAkgFEEFdGohKCAJIBRBJGxqISkgCSAUQShsaiEqIAkgFEEsbGohKyAJIBRBMGxqISwgCSAUQTRsaiEtIAkgFEE4bGohLiAJIBRBPGxqIS8gCSAUQQJ0aiExQQAhNwNAIDcgD20iM0EBdCE2IDcgMyAPbGsiIUEBdCEyAkACQAJAIA4NACAyQQFyISIMAQsgNkEBciAGTg0BIDJBAXIiIiAHTg0BCyAKIAUgQCAzbCA3QQN0akEEamxqITsgCiA0IAcgNkEBamwgN0EBdGogPyAzbGsiNWxqITwgCiAFIDVBAnRBBGpsaiE9IAYgNiAGIDZKGyA2ayE4IAogNCA2IAdsIDJqbGohOSAKIDMgPmwgIWogBWxBAnRqITVBACEzICIgB04hOiAMITIgCyEhQQAhIgNAIAkgM2r9AAAAICUgM2r9AAAAIkz95AEgKCAzav0AAAAiTv3kASAxIDNq/QAAACAmIDNq/QAAACJL/eQBICkgM2r9AAAAIlD95AEiT/3kASAjIDNq/QAAACACIDNq/QAAACJK/eQBICogM2r9AAAAIlH95AEiRP3kASAEIDNq/QAAACJJ/eQBIUggJyAzav0AAAAiUiArIDNq/QAAACJF/eUBIC8gM2r9AAAA/eUBIUYgJCAzav0AAAAgUv3kASBF/eQBIUUgSiBR/eUBIC4gM2r9AAAA/eUBIUogSyBQ/eUBIC0gM2r9AAAA/eUBIUsgTCBO/eUBICwgM2r9AAAA/eUBIUcCQAJAIAtFDQAgIf0AAAAiTCBI/V/98gEgMv0AAAAiTv3wAf1eICFBEGr9AAAAIlAgSCBI/Q0ICQoLDA0ODwABAgMEBQYH/V/98gEgMkEQav0AAAAiUf3wAf1e/Q0AAQIDBAUGBxAREhMUFRYXIUggTiBMIEkgSyBK/eUBIEb95QH95AEiUv1f/fIB/fAB/V4gUSBQIFIgUv0NCAkKCwwNDg8AAQIDBAUGB/1f/fIB/fAB/V79DQABAgMEBQYHEBESExQVFhchUiBMIEkgRyBL/eQBIEr95AH95AEiSv1f/fIBIE798AH9XiBQIEogSv0NCAkKCwwNDg8AAQIDBAUGB/1f/fIBIFH98AH9Xv0NAAECAwQFBgcQERITFBUWFyFKIE4gTCBPIET95QEgRf3lASBJ/eQBIkn9X/3yAf3wAf1eIFEgUCBJIEn9DQgJCgsMDQ4PAAECAwQFBgf9X/3yAf3wAf1e/Q0AAQIDBAUGBxAREhMUFRYXIUkgDUUNASBS/QwAAAAAAAAAAAAAAAAAAAAAIkv96wEhUiBIIEv96wEhSCBKIEv96wEhSiBJIEv96wEhSQwBCyBJIEsgSv3lASBG/eUB/eQBIVIgSSBHIEv95AEgSv3kAf3kASFKIE8gRP3lASBF/eUBIEn95AEhSQsCQAJAIA4NACA2IAZODQEgOSAzaiBI/QsAAAJAIDoNACA7IDNqIEn9CwAAIDhBAUYNAiA8IDNqIEr9CwAAID0gM2ogUv0LAAAMAgsgOEEBRg0BIDwgM2ogSv0LAAAMAQsgNSAzav0MAACA/wAAgP8AAID/AACA/yBI/esBIEn96wEgSv3rASBS/esB/QsAAAsgMkEgaiEyICFBIGohISAzQRBqITMgIkEEaiIiIAVIDQALCyAJIDRqIQkgMSA0aiExICMgNGohIyAkIDRqISQgJSA0aiElICYgNGohJiACIDRqIQIgJyA0aiEnICggNGohKCApIDRqISkgKiA0aiEqICsgNGohKyAsIDRqISwgLSA0aiEtIC4gNGohLiAvIDRqIS8gN0EBaiI3IBBHDQALCwvpEwkBfAF7H38CewJ/AXsHfwF8BX0CQCAHQQFIDQAgCEEBSA0ARAAAAAAAAPA/IAQgA2y3oyIL/RQhDCACQQR0IQ0gBEEDcSEOIARB/P///wdxIQ8gAkEDcSIQIAJrIREgAiABbCISQQJ0IRMgBiACbEECdCEUIBIgBWxBAnQhFSACQXxqIgZBAnZBAWoiBUEHcSEWIAVB+P///wdxIhdBAnRBBHIhGCAGQRxJIRlBACEaIAAhGyAAIAJBAnQiBWoiHCEdIAAgAkEDdGoiHiEfIAAgAkEMbGoiICEhQQAhIgNAIBohIyAbISQgHSElIB8hJiAhISdBACEoA0BBACEpAkAgAkEESA0AAkAgCQ0AQQAhKUEEIQYgJCEqA0AgKSErIAYhKf0MAAAAAAAAAAAAAAAAAAAAACEsAkACQCADQQBKDQAgLCEtDAELICwhLSAEQQFIDQBBACEuICohL/0MAAAAAAAAAAAAAAAAAAAAACItISwDQCAvIQYgBCESA0AgLCAG/QAAACIw/V/98AEhLCAtIDAgMP0NCAkKCwwNDg8AAQIDBAUGB/1f/fABIS0gBiAFaiEGIBJBf2oiEg0ACyAvIBNqIS8gLkEBaiIuIANHDQALCyAKICtBAnRqIAwgLP3yAf1eIAwgLf3yAf1e/Q0AAQIDBAUGBxAREhMUFRYX/QsAACAqQRBqISogKUEEaiIGIAJMDQAMAgsLAkACQAJAAkACQCADQQBKDQAgFyESIAohBiAZRQ0BQQAhKUEEIQYMAgsCQCAEQQFIDQBBACExQQQhBiAkITIgJSEzICYhNCAnITUDQCAGISn9DAAAgP8AAID/AACA/wAAgP8hMEEAITYgMiEvIDMhLiA0ISogNSErQQAhNwNAQQAhEgJAIARBBEkNAEEAIQZBACESA0AgMCAvIAZq/QAAAP3rASAuIAZq/QAAAP3rASAqIAZq/QAAAP3rASArIAZq/QAAAP3rASEwIAYgDWohBiAPIBJBBGoiEkcNAAsLAkAgDkUNACAyIAUgEiA2amxqIQYgDiESA0AgMCAG/QAAAP3rASEwIAYgBWohBiASQX9qIhINAAsLIDYgAWohNiAvIBNqIS8gLiATaiEuICogE2ohKiArIBNqISsgN0EBaiI3IANHDQALIAogMUECdGogMP0LAAAgMkEQaiEyIDNBEGohMyA0QRBqITQgNUEQaiE1ICkhMSApQQRqIgYgAkoNBgwACwsCQCAZRQ0AQQAhKUEEIQYMBAsgFyESIAohBgNAIAb9DAAAgP8AAID/AACA/wAAgP8iMP0LAAAgBkHwAGogMP0LAAAgBkHgAGogMP0LAAAgBkHQAGogMP0LAAAgBkHAAGogMP0LAAAgBkEwaiAw/QsAACAGQSBqIDD9CwAAIAZBEGogMP0LAAAgBkGAAWohBiASQXhqIhINAAwDCwsDQCAG/QwAAID/AACA/wAAgP8AAID/IjD9CwAAIAZB8ABqIDD9CwAAIAZB4ABqIDD9CwAAIAZB0ABqIDD9CwAAIAZBwABqIDD9CwAAIAZBMGogMP0LAAAgBkEgaiAw/QsAACAGQRBqIDD9CwAAIAZBgAFqIQYgEkF4aiISDQALIBhBfGohKSAYIQYLIBZFDQIgFiESA0AgCiApQQJ0av0MAACA/wAAgP8AAID/AACA//0LAAAgBiIvQQRqIQYgLyEpIBJBf2oiEg0ACyAGQXxqISkMAgsgGEF8aiEpIBghBgsgFkUNACAWIRIDQCAKIClBAnRq/QwAAID/AACA/wAAgP8AAID//QsAACAGIi9BBGohBiAvISkgEkF/aiISDQALIAZBfGohKQsCQCACIClMDQACQCAJDQAgJCApQQJ0IgZqITIgACAGaiEzIBwgBmohNCAeIAZqITUgICAGaiExA0BEAAAAAAAAAAAhOAJAIANBAEwNACAEQQFIDQBEAAAAAAAAAAAhOEEAITYgMyEvIDQhLiA1ISogMSErQQAhNwNAAkACQCAEQQRPDQBBACESDAELQQAhEiAjIQYDQCA4IC8gBmoqAgC7oCAuIAZqKgIAu6AgKiAGaioCALugICsgBmoqAgC7oCE4IAYgDWohBiAPIBJBBGoiEkcNAAsLAkAgDkUNACAyIAUgEiA2amxqIQYgDiESA0AgOCAGKgIAu6AhOCAGIAVqIQYgEkF/aiISDQALCyA2IAFqITYgLyATaiEvIC4gE2ohLiAqIBNqISogKyATaiErIDdBAWoiNyADRw0ACwsgCiApQQJ0aiALIDiitjgCACAyQQRqITIgM0EEaiEzIDRBBGohNCA1QQRqITUgMUEEaiExIClBAWoiKSACRg0CDAALCwJAIANBAEoNAAJAIAIgKWsiL0EESQ0AIBEgKWohEiAKIClBAnRqIQYgKSAvIBBraiEpA0AgBv0MAACA/wAAgP8AAID/AACA//0LAgAgBkEQaiEGIBJBBGoiEg0ACyAQRQ0CCyACIClrIRIgCiApQQJ0aiEGA0AgBkGAgIB8NgIAIAZBBGohBiASQX9qIhINAAwCCwsCQCAEQQFIDQAgJCApQQJ0IgZqITIgACAGaiEzIBwgBmohNCAeIAZqITUgICAGaiExA0BDAACA/yE5QQAhNiAzIS8gNCEuIDUhKiAxIStBACE3A0ACQAJAIARBBE8NAEEAIRIMAQtBACESICMhBgNAICsgBmoqAgAiOiAqIAZqKgIAIjsgLiAGaioCACI8IC8gBmoqAgAiPSA5ID0gOV4bIjkgPCA5XhsiOSA7IDleGyI5IDogOV4bITkgBiANaiEGIA8gEkEEaiISRw0ACwsCQCAORQ0AIDIgBSASIDZqbGohBiAOIRIDQCAGKgIAIjogOSA6IDleGyE5IAYgBWohBiASQX9qIhINAAsLIDYgAWohNiAvIBNqIS8gLiATaiEuICogE2ohKiArIBNqISsgN0EBaiI3IANHDQALIAogKUECdGogOTgCACAyQQRqITIgM0EEaiEzIDRBBGohNCA1QQRqITUgMUEEaiExIClBAWoiKSACRg0CDAALCwJAIAIgKWsiL0EESQ0AIBEgKWohEiAKIClBAnRqIQYgKSAvIBBraiEpA0AgBv0MAACA/wAAgP8AAID/AACA//0LAgAgBkEQaiEGIBJBBGoiEg0ACyAQRQ0BCyACIClrIRIgCiApQQJ0aiEGA0AgBkGAgIB8NgIAIAZBBGohBiASQX9qIhINAAsLICMgFGohIyAkIBRqISQgJSAUaiElICYgFGohJiAnIBRqIScgCiAFaiEKIChBAWoiKCAIRw0ACyAaIBVqIRogGyAVaiEbIB0gFWohHSAfIBVqIR8gISAVaiEhICJBAWoiIiAHRw0ACwsL";
const WASM_KERNEL_FMA = "AGFzbQEAAAABNANgEH9/f39/f39/f39/f39/f38AYA9/f39/f39/f39/f39/f38AYAt/f39/f39/f39/fwADBAMAAQIEBQFwAQEBBQMBAAIGDwJ/AUGAiAQLfwBBgIgECwcxBQZtZW1vcnkCAARjb252AAAId2lub2dyYWQAAQRwb29sAAILX19oZWFwX2Jhc2UDAQr/dwOoPQcofwh7B38FewF/AX0CfyAHIAJsIRBBACERAkAgCyAKbCISQQRIDQAgBUEASiANQQBHcSETIAZBAEogEEEASnEhFCAFQf7///8HcSEVIBBBA3EhFiAQQQFxIRcgEEF/aiEYIAkgAmwhGUEAIBBB/P///wdxayEaIAMgBUECdCIHaiEbQQAgEEH+////B3FrIRwgAiABbEECdCEdIAwgBUEEdCIeaiEfIAQgB2ohICAQIAVsQQJ0ISEgCCABbCACbCEiIAVBCEghIyAMISQgDCAHaiIlISYgDCAFQQN0IidqIighKSAMIAVBDGxqIiohK0EAISxBBCEtQQAhEQNAIBEhCiAtIREgDCAKIAVsQQJ0aiIuIAdqIi8gB2oiMCAHaiExIAAgCiAKIAttIi0gC2xrIBlsQQJ0aiAtICJsQQJ0aiEyIAAgCkEDciItIC0gC20iLSALbGsgGWxBAnRqIC0gImxBAnRqITMgACAKQQJyIi0gLSALbSItIAtsayAZbEECdGogLSAibEECdGohNCAAIApBAXIiCiAKIAttIgogC2xrIBlsQQJ0aiAKICJsQQJ0aiE1QQAhNgJAICMNAEEAITdBCCEKA0AgCiE2AkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAiOCE5DAELIAQgN0ECdGoiCv0AABAhOSAK/QAAACE4CwJAAkAgFA0AIDghOiA5ITsgOCE8IDkhPSA4IT4gOSE/DAELIAMgN0ECdGohQEEAIUEgMiFCIDUhQyA0IUQgMyFFIDkhPyA4IT4gOSE9IDghPCA5ITsgOCE6A0AgQCEtQQAhCiAQIUYDQCBFIApq/QkCACJHIC1BEGr9AAAAIkggP/2FAiE/IEQgCmr9CQIAIkkgSCA9/YUCIT0gQyAKav0JAgAiSiBIIDv9hQIhOyBCIApq/QkCACJLIEggOf2FAiE5IEcgLf0AAAAiSCA+/YUCIT4gSSBIIDz9hQIhPCBKIEggOv2FAiE6IEsgSCA4/YUCITggLSAHaiEtIApBBGohCiBGQX9qIkYNAAsgQiAdaiFCIEMgHWohQyBEIB1qIUQgRSAdaiFFIEAgIWohQCBBQQFqIkEgBkcNAAsLIC4gN0ECdCIKaiItIDn9CwAQIC0gOP0LAAAgLyAKaiItIDv9CwAQIC0gOv0LAAAgMCAKaiItID39CwAQIC0gPP0LAAAgMSAKaiIKID/9CwAQIAogPv0LAAAgNiE3IDZBCGoiCiAFTA0ACwsCQAJAIDZBBHIiLSAFTA0AIDYhTAwBCyAbIDZBAnQiCmohQiADIApqIQpBACE3A0AgLSFMAkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhSAwBCyAEIDZBAnRq/QAAACFICwJAIBRFDQAgAyA2QQJ0aiFAQQAhQSA3IUUgMiFEA0ACQAJAIBgNAEEAIS0gQCFGDAELQQAhQyBFIS0gRCFGA0AgRkEEav0JAgAgQiAtav0AAAAgRv0JAgAgCiAtav0AAAAgSP2FAv2FAiFIIC0gJ2ohLSBGQQhqIUYgHCBDQX5qIkNHDQALIAogLWohRkEAIENrIS0LAkAgF0UNACBEIC1BAnRq/QkCACBG/QAAACBI/YUCIUgLIEUgIWohRSBEIB1qIUQgQCAhaiFAIEFBAWoiQSAGRw0ACwsgLiA2QQJ0IjZqIEj9CwAAAkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhSAwBCyAEIDZq/QAAACFICwJAIBRFDQAgAyA2aiFAQQAhQSA3IUUgNSFEA0ACQAJAIBgNAEEAIS0gQCFGDAELQQAhQyBFIS0gRCFGA0AgRkEEav0JAgAgQiAtav0AAAAgRv0JAgAgCiAtav0AAAAgSP2FAv2FAiFIIC0gJ2ohLSBGQQhqIUYgHCBDQX5qIkNHDQALIAogLWohRkEAIENrIS0LAkAgF0UNACBEIC1BAnRq/QkCACBG/QAAACBI/YUCIUgLIEUgIWohRSBEIB1qIUQgQCAhaiFAIEFBAWoiQSAGRw0ACwsgLyA2aiBI/QsAAAJAAkAgBA0A/QwAAAAAAAAAAAAAAAAAAAAAIUgMAQsgBCA2av0AAAAhSAsCQCAURQ0AIAMgNmohQEEAIUEgNyFFIDQhRANAAkACQCAYDQBBACEtIEAhRgwBC0EAIUMgRSEtIEQhRgNAIEZBBGr9CQIAIEIgLWr9AAAAIEb9CQIAIAogLWr9AAAAIEj9hQL9hQIhSCAtICdqIS0gRkEIaiFGIBwgQ0F+aiJDRw0ACyAKIC1qIUZBACBDayEtCwJAIBdFDQAgRCAtQQJ0av0JAgAgRv0AAAAgSP2FAiFICyBFICFqIUUgRCAdaiFEIEAgIWohQCBBQQFqIkEgBkcNAAsLIDAgNmogSP0LAAACQAJAIAQNAP0MAAAAAAAAAAAAAAAAAAAAACFIDAELIAQgNmr9AAAAIUgLAkAgFEUNACADIDZqIUBBACFBIDchRSAzIUQDQAJAAkAgGA0AQQAhLSBAIUYMAQtBACFDIEUhLSBEIUYDQCBGQQRq/QkCACBCIC1q/QAAACBG/QkCACAKIC1q/QAAACBI/YUC/YUCIUggLSAnaiEtIEZBCGohRiAcIENBfmoiQ0cNAAsgCiAtaiFGQQAgQ2shLQsCQCAXRQ0AIEQgLUECdGr9CQIAIEb9AAAAIEj9hQIhSAsgRSAhaiFFIEQgHWohRCBAICFqIUAgQUEBaiJBIAZHDQALCyAxIDZqIEj9CwAAIDdBEGohNyBMITYgTEEEaiItIAVMDQALCwJAIAUgTEwNAAJAIBQNAAJAIAUgTGsiNkEYSQ0AIAwgHiAsbCItaiBMQQJ0IgpqIkQgKCAtaiJCSSAlIC1qIkYgCmoiRSBGSXENACBEICogLWoiQ0kgQiAKaiJAIEZJcQ0AIEQgHyAtaiItSSBDIApqIkEgRklxDQAgRCAgSSAEIApqIkQgRklxDQAgRSBDSSBAIEJJcQ0AIEUgLUkgQSBCSXENACBFICBJIEQgQklxDQAgQCAtSSBBIENJcQ0AIEAgIEkgRCBDSXENACBBICBJIEQgLUlxDQAgTCA2QXxxIkBqIUwgBCEtICQhRiAmIUIgKSFDICshRCBAIUUDQCBGIApqIC0gCmr9AAIAIkj9CwIAIEIgCmogSP0LAgAgQyAKaiBI/QsCACBEIApqIEj9CwIAIC1BEGohLSBGQRBqIUYgQkEQaiFCIENBEGohQyBEQRBqIUQgRUF8aiJFDQALIDYgQEYNAgsgTEEBaiEKAkAgBSBMa0EBcUUNACAuIExBAnQiLWogBCAtaiJGKgIAIk04AgAgLyAtaiBNOAIAIDAgLWogRioCACJNOAIAIDEgLWogTTgCACAKIUwLIAUgCkYNASBMQQJ0IQogBSBMayFAIAQhLSArIUYgJCFCICYhQyApIUQDQCBCIApqIkEgLSAKaiJFKgIAIk04AgAgQyAKaiI2IE04AgAgRCAKaiI3IEUqAgAiTTgCACBGIApqIkwgTTgCACBBQQRqIEVBBGoiRSoCACJNOAIAIDZBBGogTTgCACA3QQRqIEUqAgAiTTgCACBMQQRqIE04AgAgLUEIaiEtIEZBCGohRiBCQQhqIUIgQ0EIaiFDIERBCGohRCBAQX5qIkANAAwCCwsDQCAEIExBAnQiTmoiTyoCACFNQQAhNyAyIUAgAyBOaiJBITYDQAJAAkAgGEEDSSJFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgLiBOaiBNOAIAIE8qAgAhTUEAITcgNSFAIEEhNgNAAkACQCBFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgLyBOaiBNOAIAIE8qAgAhTUEAITcgNCFAIEEhNgNAAkACQCBFRQ0AQQAhLSA2IQoMAQtBACEtIEAhCiA2IUYDQCAKQQxqKgIAIEYiQiAHaiJGIAdqIkMgB2oiRCoCAJQgCkEIaioCACBDKgIAlCAKQQRqKgIAIEYqAgCUIAoqAgAgQioCAJQgTZKSkpIhTSAKQRBqIQogRCAHaiFGIBogLUF8aiItRw0ACyBCIB5qIQpBACAtayEtCwJAIBZFDQAgQCAtQQJ0aiEtIBYhRgNAIC0qAgAgCioCAJQgTZIhTSAKIAdqIQogLUEEaiEtIEZBf2oiRg0ACwsgQCAdaiFAIDYgIWohNiA3QQFqIjcgBkcNAAsgMCBOaiBNOAIAIE8qAgAhTUEAITYgMyFAA0ACQAJAIEVFDQBBACEtIEEhCgwBC0EAIS0gQCEKIEEhRgNAIApBDGoqAgAgRiJCIAdqIkYgB2oiQyAHaiJEKgIAlCAKQQhqKgIAIEMqAgCUIApBBGoqAgAgRioCAJQgCioCACBCKgIAlCBNkpKSkiFNIApBEGohCiBEIAdqIUYgGiAtQXxqIi1HDQALIEIgHmohCkEAIC1rIS0LAkAgFkUNACBAIC1BAnRqIS0gFiFGA0AgLSoCACAKKgIAlCBNkiFNIAogB2ohCiAtQQRqIS0gRkF/aiJGDQALCyBAIB1qIUAgQSAhaiFBIDZBAWoiNiAGRw0ACyAxIE5qIE04AgAgTEEBaiJMIAVHDQALCwJAIBNFDQACQCAPRQ0AQQAhLQJAAkAgBUECSSJDDQAgJCEKIA0hLSAOIUYgFSFCA0AgCiAK/V0CAP1fIC39AAMA/fIBIEb9AAMA/fABIkj9IQC2/RMgSP0hAbb9IAEiSCBI/QwAAAAAAAAAAAAAAAAAAAAA/UP9T/1bAgAAIApBCGohCiAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAVIS0gBSAVRg0BCyAFIC1rIUIgJCAtQQJ0aiEKIA0gLUEDdCJGaiEtIA4gRmohRgNAIApDAAAAACAKKgIAuyAtKwMAoiBGKwMAoLYiTSBNQwAAAABdGzgCACAKQQRqIQogLUEIaiEtIEZBCGohRiBCQX9qIkINAAsLQQAhLQJAAkAgQw0AICYhCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJI/SEAtv0TIEj9IQG2/SABIkggSP0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAQsgBSAtayFCICYgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKQwAAAAAgCioCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALC0EAIS0CQAJAIEMNACApIQogDSEtIA4hRiAVIUIDQCAKIAr9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiSP0hALb9EyBI/SEBtv0gASJIIEj9DAAAAAAAAAAAAAAAAAAAAAD9Q/1P/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiApIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCkMAAAAAIAoqAgC7IC0rAwCiIEYrAwCgtiJNIE1DAAAAAF0bOAIAIApBBGohCiAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwtBACEtAkAgQw0AICshCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJI/SEAtv0TIEj9IQG2/SABIkggSP0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAgsgBSAtayFCICsgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKQwAAAAAgCioCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQAMAgsLQQAhLQJAAkAgBUECSSJDDQAgJCEKIA0hLSAOIUYgFSFCA0AgCiAK/V0CAP1fIC39AAMA/fIBIEb9AAMA/fABIkj9IQC2/RMgSP0hAbb9IAH9WwIAACAKQQhqIQogLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgFSEtIAUgFUYNAQsgBSAtayFCICQgLUECdGohCiANIC1BA3QiRmohLSAOIEZqIUYDQCAKIAoqAgC7IC0rAwCiIEYrAwCgtjgCACAKQQRqIQogLUEIaiEtIEZBCGohRiBCQX9qIkINAAsLQQAhLQJAAkAgQw0AICYhCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJI/SEAtv0TIEj9IQG2/SAB/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiAmIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCiAKKgIAuyAtKwMAoiBGKwMAoLY4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALC0EAIS0CQAJAIEMNACApIQogDSEtIA4hRiAVIUIDQCAKIAr9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiSP0hALb9EyBI/SEBtv0gAf1bAgAAIApBCGohCiAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAVIS0gBSAVRg0BCyAFIC1rIUIgKSAtQQJ0aiEKIA0gLUEDdCJGaiEtIA4gRmohRgNAIAogCioCALsgLSsDAKIgRisDAKC2OAIAIApBBGohCiAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwtBACEtAkAgQw0AICshCiANIS0gDiFGIBUhQgNAIAogCv1dAgD9XyAt/QADAP3yASBG/QADAP3wASJI/SEAtv0TIEj9IQG2/SAB/VsCAAAgCkEIaiEKIC1BEGohLSBGQRBqIUYgQkF+aiJCDQALIBUhLSAFIBVGDQELIAUgLWshQiArIC1BAnRqIQogDSAtQQN0IkZqIS0gDiBGaiFGA0AgCiAKKgIAuyAtKwMAoiBGKwMAoLY4AgAgCkEEaiEKIC1BCGohLSBGQQhqIUYgQkF/aiJCDQALCyAkIB5qISQgJiAeaiEmICkgHmohKSArIB5qISsgLEEBaiEsIBFBBGoiLSASTA0ACwsCQCASIBFMDQAgBUEASiANQQBHcSEuIAZBAEogEEEASnEhLyAFQQR0ITYgBUEDdCEaIAVBAnQhCiAFQf7///8HcSEyIBBBA3EhQCAQQQFxIUEgEEF/aiEWIBIgEWshMCAJIAJsITFBACAQQfz///8HcWshRCACIAFsQQJ0IRhBACAQQf7///8HcWshQyAQIAVsQQJ0IRcgCCABbCACbCFPIAVBfGoiNEF8cUEEaiEVIDRBAnZBAWoiB0EDcSEzIAwgESAFbEECdGoiJiAEayE1IDRBAnRBcHFBEGohJCAHQfz///8HcSIZQQJ0QQRyISIgJiFMQQAhTgNAIAAgESARIAttIgcgC2xrIDFsQQJ0aiBPIAdsQQJ0aiEUIAogTmwhHSAMIBEgBWxBAnRqIRBBACE3AkAgBUEESA0AAkAgL0UNAEEAIQdBBCEtA0AgLSE3AkACQCAEDQD9DAAAAAAAAAAAAAAAAAAAAAAhSAwBCyAEIAdBAnRq/QAAACFICyADIAdBAnQiIWohQkEAIUUgFCEnA0ACQAJAIBYNAEEAIQcgQiEtDAELIEIgCmohHEEAIQcgJyEtQQAhRgNAIC1BBGr9CQIAIBwgB2r9AAAAIC39CQIAIEIgB2r9AAAAIEj9hQL9hQIhSCAHIBpqIQcgLUEIaiEtIEMgRkF+aiJGRw0ACyBCIAdqIS1BACBGayEHCwJAIEFFDQAgJyAHQQJ0av0JAgAgLf0AAAAgSP2FAiFICyAnIBhqIScgQiAXaiFCIEVBAWoiRSAGRw0ACyAQICFqIEj9CwAAIDchByA3QQRqIi0gBUwNAAwCCwsCQAJAAkAgBEUNACAZIUYgTCEHIAQhLSA0QQxPDQFBACE3QQQhBwwCCyAVITcgJEUNAiAmIB1qQQAgJPwLACAVITcMAgsDQCAHIC39AAAA/QsAACAHQRBqIC1BEGr9AAAA/QsAACAHQSBqIC1BIGr9AAAA/QsAACAHQTBqIC1BMGr9AAAA/QsAACAHQcAAaiEHIC1BwABqIS0gRkF8aiJGDQALICJBfGohNyAiIQcLIDNFDQAgMyEtA0AgECA3QQJ0IkZqIAQgRmr9AAAA/QsAACAHIkZBBGohByBGITcgLUF/aiItDQALIAdBfGohNwsCQCAFIDdMDQACQCAvDQACQCAFIDdrIkZBBEkNACA1IB1qQRBJDQAgN0ECdCEHIDcgRkF8cSJCaiE3IEIhLQNAIEwgB2ogBCAHav0AAgD9CwIAIAdBEGohByAtQXxqIi0NAAsgRiBCRg0CCyA3IUYCQCAFIDdrQQNxIi1FDQAgNyAtaiFGIDdBAnQhBwNAIEwgB2ogBCAHaioCADgCACAHQQRqIQcgLUF/aiItDQALCyA3IAVrQXxLDQEgRkECdCEHIAUgRmshQgNAIEwgB2oiLSAEIAdqIkYqAgA4AgAgLUEEaiBGQQRqKgIAOAIAIC1BCGogRkEIaioCADgCACAtQQxqIEZBDGoqAgA4AgAgB0EQaiEHIEJBfGoiQg0ADAILCwNAIAMgN0ECdCIeaiEhIAQgHmoqAgAhTUEAIR0gFCFFA0ACQAJAIBZBA08NAEEAIS0gISEHDAELQQAhLSBFIQcgISFGA0AgB0EMaioCACBGIkIgCmoiRiAKaiIcIApqIicqAgCUIAdBCGoqAgAgHCoCAJQgB0EEaioCACBGKgIAlCAHKgIAIEIqAgCUIE2SkpKSIU0gB0EQaiEHICcgCmohRiBEIC1BfGoiLUcNAAsgQiA2aiEHQQAgLWshLQsCQCBARQ0AIEUgLUECdGohLSBAIUYDQCAtKgIAIAcqAgCUIE2SIU0gByAKaiEHIC1BBGohLSBGQX9qIkYNAAsLIEUgGGohRSAhIBdqISEgHUEBaiIdIAZHDQALIBAgHmogTTgCACA3QQFqIjcgBUcNAAsLAkAgLkUNAAJAIA9FDQBBACEtAkAgBUECSQ0AIEwhByANIS0gDiFGIDIhQgNAIAcgB/1dAgD9XyAt/QADAP3yASBG/QADAP3wASJI/SEAtv0TIEj9IQG2/SABIkggSP0MAAAAAAAAAAAAAAAAAAAAAP1D/U/9WwIAACAHQQhqIQcgLUEQaiEtIEZBEGohRiBCQX5qIkINAAsgMiEtIAUgMkYNAgsgBSAtayFCIEwgLUECdGohByANIC1BA3QiRmohLSAOIEZqIUYDQCAHQwAAAAAgByoCALsgLSsDAKIgRisDAKC2Ik0gTUMAAAAAXRs4AgAgB0EEaiEHIC1BCGohLSBGQQhqIUYgQkF/aiJCDQAMAgsLQQAhLQJAIAVBAkkNACBMIQcgDSEtIA4hRiAyIUIDQCAHIAf9XQIA/V8gLf0AAwD98gEgRv0AAwD98AEiSP0hALb9EyBI/SEBtv0gAf1bAgAAIAdBCGohByAtQRBqIS0gRkEQaiFGIEJBfmoiQg0ACyAyIS0gBSAyRg0BCyAFIC1rIUIgTCAtQQJ0aiEHIA0gLUEDdCJGaiEtIA4gRmohRgNAIAcgByoCALsgLSsDAKIgRisDAKC2OAIAIAdBBGohByAtQQhqIS0gRkEIaiFGIEJBf2oiQg0ACwsgTCAKaiFMIBFBAWohESBOQQFqIk4gMEcNAAsLC+cmAjV/D3sgB0EBakECbSIPIAZBAWpBAm1sIhAgAmwhEQJAIBBBAUgNACACQQFIDQAgAkEBdCESIAJBAnQhEyABQQJ0IhRBBGohFSAUQQhqIRYgFEEMaiEXIAFBA3QiGEEEciEZIBhBCGohGiAYQQxqIRsgAUEMbCIcQQRqIR0gHEEIaiEeIAEgD2tBA3QhHyAcQQxqISAgCCARQQN0aiEhIAggEUEMbGohIiAIIBFBBHRqISMgCCARQRRsaiEkIAggEUEYbGohJSAIIBFBHGxqISYgCCARQQV0aiEnIAggEUEkbGohKCAIIBFBKGxqISkgCCARQSxsaiEqIAggEUEwbGohKyAIIBFBNGxqISwgCCARQThsaiEtIAggEUE8bGohLiAIIBFBAnRqIS9BACEwIAghMQNAIAAgAiAfIDAgD20iMmwgMEEDdGoiM0EEamxqITQgACACIDNBCGpsaiE1IAAgAiAzQQxqbGohNiAAIAIgMyAUamxqITcgACACIDMgFWpsaiE4IAAgAiAzIBZqbGohOSAAIAIgMyAXamxqITogACACIDMgGGpsaiE7IAAgAiAzIBlqbGohPCAAIAIgMyAaamxqIT0gACACIDMgG2psaiE+IAAgAiAzIBxqbGohPyAAIAIgMyAdamxqIUAgACACIDMgHmpsaiFBIAAgAiAzICBqbGohQiAAIBIgMiABbCAwIDIgD2xramxBAnRqIUNBACEzQQAhMgNAIEIgM2r9AAAAIUQgQCAzav0AAAAhRSA/IDNq/QAAACFGIEEgM2r9AAAAIUcgOiAzav0AAAAhSCA4IDNq/QAAACFJIDcgM2r9AAAAIUogOSAzav0AAAAhSyA+IDNq/QAAACFMIDYgM2r9AAAAIU0gPCAzav0AAAAhTiA0IDNq/QAAACFPIDEgM2ogQyAzav0AAAAgOyAzav0AAAAiUP3lASA1IDNq/QAAACA9IDNq/QAAACJR/eUBIlL95QH9CwAAIC8gM2ogTyBO/eUBIk8gUv3kAf0LAAAgISAzaiBSIE/95QH9CwAAICIgM2ogTyBNIEz95QH95QH9CwAAICMgM2ogSiBQ/eQBIEsgUf3kASJS/eUB/QsAACAkIDNqIEkgTv3kASJPIFL95AH9CwAAICUgM2ogUiBP/eUB/QsAACAmIDNqIE8gSCBM/eQB/eUB/QsAACAnIDNqIFAgSv3lASBRIEv95QEiUP3lAf0LAAAgKCAzaiBOIEn95QEiTiBQ/eQB/QsAACApIDNqIFAgTv3lAf0LAAAgKiAzaiBOIEwgSP3lAf3lAf0LAAAgKyAzaiBKIEb95QEgSyBH/eUBIkr95QH9CwAAICwgM2ogSSBF/eUBIkkgSv3kAf0LAAAgLSAzaiBKIEn95QH9CwAAIC4gM2ogSSBIIET95QH95QH9CwAAIDNBEGohMyAyQQRqIjIgAkgNAAsgMSATaiExIC8gE2ohLyAhIBNqISEgIiATaiEiICMgE2ohIyAkIBNqISQgJSATaiElICYgE2ohJiAnIBNqIScgKCATaiEoICkgE2ohKSAqIBNqISogKyATaiErICwgE2ohLCAtIBNqIS0gLiATaiEuIDBBAWoiMCAQRw0ACwsgAkEFdCExIAVBBHQhQiACQQR0ITkgAkEBcSEoIBBBA3EhFSACQX9qISkgBSACbCIYQQJ0IRxBACACQf7///8HcWshJUEAIBBBfHFrIRYgCCACQQJ0Ij1qIQAgCCACQQN0aiETIAggAkEMbGohMCAQIAVsIhRBAnQhEiARQQJ0IUEgBUECdCI6QXxqQXBxQRBqIT8gAyEvIAkhASAIIUNBACFAA0AgCSBAIBRsQQJ0aiE8IAMgGCBAbEECdGohKiAIIEAgEWxBAnRqIT5BACE4AkAgEEEESA0AQQAhO0EEITMgQyE0IAAhNSATITYgMCE3A0AgMyE4IDwgOyAFbEECdGoiKyA6aiIsIDpqIi0gOmohLkEAISYCQCAFQQhIDQBBACEnQQghMwNAIDMhJgJAAkAgAkEBTg0A/QwAAAAAAAAAAAAAAAAAAAAAIkohSyBKIUwgSiFOIEohUCBKIVEgSiFSIEohSQwBCyAqICcgAmxBAnRqITMgNCEyIDUhISA2ISIgNyEjIAIhJP0MAAAAAAAAAAAAAAAAAAAAACJJIVIgSSFRIEkhUCBJIU4gSSFMIEkhSyBJIUoDQCAj/QkCACJPIDP9AAAAIkggUP2FAiFQICL9CQIAIkQgSCBM/YUCIUwgIf0JAgAiRSBIIEr9hQIhSiAy/QkCACJGIEggSf2FAiFJIE8gM0EQav0AAAAiSCBR/YUCIVEgRCBIIE79hQIhTiBFIEggS/2FAiFLIEYgSCBS/YUCIVIgM0EgaiEzIDJBBGohMiAhQQRqISEgIkEEaiEiICNBBGohIyAkQX9qIiQNAAsLICsgJ0ECdCIzaiIyIFL9CwAQIDIgSf0LAAAgLCAzaiIyIEv9CwAQIDIgSv0LAAAgLSAzaiIyIE79CwAQIDIgTP0LAAAgLiAzaiIzIFH9CwAQIDMgUP0LAAAgJiEnICZBCGoiMyAFTA0ACwsCQCAmIAVODQACQAJAAkACQCACQQFIDQAgOyACbEECdCEjICogJiACbEECdGohM/0MAAAAAAAAAAAAAAAAAAAAACFIICkNAUEAISEgMyEyDAILICsgJkECdCIzav0MAAAAAAAAAAAAAAAAAAAAACJI/QsAACAsIDNqIEj9CwAAIC0gM2ogSP0LAAAMAgtBACEiIDQhISAzITIDQCAhQQRq/QkCACAyQRBq/QAAACAh/QkCACAy/QAAACBI/YUC/YUCIUggIUEIaiEhIDJBIGohMiAlICJBfmoiIkcNAAtBACAiayEhCyA+ICNqISQCQCAoRQ0AICQgIUECdGr9CQIAIDL9AAAAIEj9hQIhSAsgKyAmQQJ0IiNqIEj9CwAA/QwAAAAAAAAAAAAAAAAAAAAAIUgCQAJAICkNAEEAISEgMyEyDAELQQAhIiA1ISEgMyEyA0AgIUEEav0JAgAgMkEQav0AAAAgIf0JAgAgMv0AAAAgSP2FAv2FAiFIICFBCGohISAyQSBqITIgJSAiQX5qIiJHDQALQQAgImshIQsgJCA9aiEkAkAgKEUNACAkICFBAnRq/QkCACAy/QAAACBI/YUCIUgLICwgI2ogSP0LAAD9DAAAAAAAAAAAAAAAAAAAAAAhSAJAAkAgKQ0AQQAhISAzITIMAQtBACEiIDYhISAzITIDQCAhQQRq/QkCACAyQRBq/QAAACAh/QkCACAy/QAAACBI/YUC/YUCIUggIUEIaiEhIDJBIGohMiAlICJBfmoiIkcNAAtBACAiayEhCyAkID1qISICQCAoRQ0AICIgIUECdGr9CQIAIDL9AAAAIEj9hQIhSAsgLSAjaiBI/QsAAP0MAAAAAAAAAAAAAAAAAAAAACFIAkACQCApDQBBACEyDAELQQAhISA3ITIDQCAyQQRq/QkCACAzQRBq/QAAACAy/QkCACAz/QAAACBI/YUC/YUCIUggMkEIaiEyIDNBIGohMyAlICFBfmoiIUcNAAtBACAhayEyCyAoRQ0AICIgPWogMkECdGr9CQIAIDP9AAAAIEj9hQIhSAsgLiAmQQJ0aiBI/QsAAAsgNCA5aiE0IDUgOWohNSA2IDlqITYgNyA5aiE3IDghOyA4QQRqIjMgEEwNAAsLAkAgBUEBSA0AIDggEE4NAAJAIAJBAUgNACBDID0gOGxqISsDQCA8IDggBWxBAnRqIScgPiA4IAJsQQJ0aiEsQQAhJkEAISQDQCAkQfj///8HcSEyAkACQCApDQAgKiAyIAJsQQJ0aiAkQQRxQQJ0aiEz/QwAAAAAAAAAAAAAAAAAAAAAIUhBACEyDAELIC8gMSAkQQN2bCAmQQFxQQR0amohM0EEQQggMkEIaiAFShsiMkECdCEiIDJBA3QhI/0MAAAAAAAAAAAAAAAAAAAAACFIQQAhISArITIDQCAyQQRq/QkCACAzICJq/QAAACAy/QkCACAz/QAAACBI/YUC/YUCIUggMyAjaiEzIDJBCGohMiAlICFBfmoiIUcNAAtBACAhayEyCwJAIChFDQAgLCAyQQJ0av0JAgAgM/0AAAAgSP2FAiFICyAnICRBAnRqIEj9CwAAICZBAXMhJiAkQQRqIiQgBUgNAAsgKyA9aiErIDhBAWoiOCAQRw0ADAILC0EAITMCQCA4IBBrQXxLDQAgOiA4bCEjIBYgOGohIiAFIDhBAnQiM0EEamwhJCAFIDNBCGpsISYgBSAzQQxqbCEnQQAhISABITMDQAJAID9FIjINACAzICNqQQAgP/wLAAsCQCAyDQAgMyAkakEAID/8CwALAkAgMg0AIDMgJmpBACA//AsACwJAIDINACAzICdqQQAgP/wLAAsgMyBCaiEzICIgIUF8aiIhRw0AC0EAICFrITMLIBVFDQAgASAFIDNBAnQgOEECdGpsaiEzIBUhMgNAAkAgP0UNACAzQQAgP/wLAAsgMyA6aiEzIDJBf2oiMg0ACwsgLyAcaiEvIAEgEmohASBDIEFqIUMgACBBaiEAIBMgQWohEyAwIEFqITAgQEEBaiJAQRBHDQALAkAgEEEBSA0AIAdBAm0hPiAFQQFIDQAgB0EBdCAPQQF0Ij9rQQJ0IUAgBUECdCE0IAkgFEEDdGohIyAJIBRBDGxqISQgCSAUQQR0aiElIAkgFEEUbGohJiAJIBRBGGxqIQIgCSAUQRxsaiEnIAkgFEEFdGohKCAJIBRBJGxqISkgCSAUQShsaiEqIAkgFEEsbGohKyAJIBRBMGxqISwgCSAUQTRsaiEtIAkgFEE4bGohLiAJIBRBPGxqIS8gCSAUQQJ0aiExQQAhNwNAIDcgD20iM0EBdCE2IDcgMyAPbGsiIUEBdCEyAkACQAJAIA4NACAyQQFyISIMAQsgNkEBciAGTg0BIDJBAXIiIiAHTg0BCyAKIAUgQCAzbCA3QQN0akEEamxqITsgCiA0IAcgNkEBamwgN0EBdGogPyAzbGsiNWxqITwgCiAFIDVBAnRBBGpsaiE9IAYgNiAGIDZKGyA2ayE4IAogNCA2IAdsIDJqbGohOSAKIDMgPmwgIWogBWxBAnRqITVBACEzICIgB04hOiAMITIgCyEhQQAhIgNAIAkgM2r9AAAAICUgM2r9AAAAIkz95AEgKCAzav0AAAAiTv3kASAxIDNq/QAAACAmIDNq/QAAACJL/eQBICkgM2r9AAAAIlD95AEiT/3kASAjIDNq/QAAACACIDNq/QAAACJK/eQBICogM2r9AAAAIlH95AEiRP3kASAEIDNq/QAAACJJ/eQBIUggJyAzav0AAAAiUiArIDNq/QAAACJF/eUBIC8gM2r9AAAA/eUBIUYgJCAzav0AAAAgUv3kASBF/eQBIUUgSiBR/eUBIC4gM2r9AAAA/eUBIUogSyBQ/eUBIC0gM2r9AAAA/eUBIUsgTCBO/eUBICwgM2r9AAAA/eUBIUcCQAJAIAtFDQAgIf0AAAAiTCBI/V/98gEgMv0AAAAiTv3wAf1eICFBEGr9AAAAIlAgSCBI/Q0ICQoLDA0ODwABAgMEBQYH/V/98gEgMkEQav0AAAAiUf3wAf1e/Q0AAQIDBAUGBxAREhMUFRYXIUggTiBMIEkgSyBK/eUBIEb95QH95AEiUv1f/fIB/fAB/V4gUSBQIFIgUv0NCAkKCwwNDg8AAQIDBAUGB/1f/fIB/fAB/V79DQABAgMEBQYHEBESExQVFhchUiBMIEkgRyBL/eQBIEr95AH95AEiSv1f/fIBIE798AH9XiBQIEogSv0NCAkKCwwNDg8AAQIDBAUGB/1f/fIBIFH98AH9Xv0NAAECAwQFBgcQERITFBUWFyFKIE4gTCBPIET95QEgRf3lASBJ/eQBIkn9X/3yAf3wAf1eIFEgUCBJIEn9DQgJCgsMDQ4PAAECAwQFBgf9X/3yAf3wAf1e/Q0AAQIDBAUGBxAREhMUFRYXIUkgDUUNASBS/QwAAAAAAAAAAAAAAAAAAAAAIkv96wEhUiBIIEv96wEhSCBKIEv96wEhSiBJIEv96wEhSQwBCyBJIEsgSv3lASBG/eUB/eQBIVIgSSBHIEv95AEgSv3kAf3kASFKIE8gRP3lASBF/eUBIEn95AEhSQsCQAJAIA4NACA2IAZODQEgOSAzaiBI/QsAAAJAIDoNACA7IDNqIEn9CwAAIDhBAUYNAiA8IDNqIEr9CwAAID0gM2ogUv0LAAAMAgsgOEEBRg0BIDwgM2ogSv0LAAAMAQsgNSAzav0MAACA/wAAgP8AAID/AACA/yBI/esBIEn96wEgSv3rASBS/esB/QsAAAsgMkEgaiEyICFBIGohISAzQRBqITMgIkEEaiIiIAVIDQALCyAJIDRqIQkgMSA0aiExICMgNGohIyAkIDRqISQgJSA0aiElICYgNGohJiACIDRqIQIgJyA0aiEnICggNGohKCApIDRqISkgKiA0aiEqICsgNGohKyAsIDRqISwgLSA0aiEtIC4gNGohLiAvIDRqIS8gN0EBaiI3IBBHDQALCwvpEwkBfAF7H38CewJ/AXsHfwF8BX0CQCAHQQFIDQAgCEEBSA0ARAAAAAAAAPA/IAQgA2y3oyIL/RQhDCACQQR0IQ0gBEEDcSEOIARB/P///wdxIQ8gAkEDcSIQIAJrIREgAiABbCISQQJ0IRMgBiACbEECdCEUIBIgBWxBAnQhFSACQXxqIgZBAnZBAWoiBUEHcSEWIAVB+P///wdxIhdBAnRBBHIhGCAGQRxJIRlBACEaIAAhGyAAIAJBAnQiBWoiHCEdIAAgAkEDdGoiHiEfIAAgAkEMbGoiICEhQQAhIgNAIBohIyAbISQgHSElIB8hJiAhISdBACEoA0BBACEpAkAgAkEESA0AAkAgCQ0AQQAhKUEEIQYgJCEqA0AgKSErIAYhKf0MAAAAAAAAAAAAAAAAAAAAACEsAkACQCADQQBKDQAgLCEtDAELICwhLSAEQQFIDQBBACEuICohL/0MAAAAAAAAAAAAAAAAAAAAACItISwDQCAvIQYgBCESA0AgLCAG/QAAACIw/V/98AEhLCAtIDAgMP0NCAkKCwwNDg8AAQIDBAUGB/1f/fABIS0gBiAFaiEGIBJBf2oiEg0ACyAvIBNqIS8gLkEBaiIuIANHDQALCyAKICtBAnRqIAwgLP3yAf1eIAwgLf3yAf1e/Q0AAQIDBAUGBxAREhMUFRYX/QsAACAqQRBqISogKUEEaiIGIAJMDQAMAgsLAkACQAJAAkACQCADQQBKDQAgFyESIAohBiAZRQ0BQQAhKUEEIQYMAgsCQCAEQQFIDQBBACExQQQhBiAkITIgJSEzICYhNCAnITUDQCAGISn9DAAAgP8AAID/AACA/wAAgP8hMEEAITYgMiEvIDMhLiA0ISogNSErQQAhNwNAQQAhEgJAIARBBEkNAEEAIQZBACESA0AgMCAvIAZq/QAAAP3rASAuIAZq/QAAAP3rASAqIAZq/QAAAP3rASArIAZq/QAAAP3rASEwIAYgDWohBiAPIBJBBGoiEkcNAAsLAkAgDkUNACAyIAUgEiA2amxqIQYgDiESA0AgMCAG/QAAAP3rASEwIAYgBWohBiASQX9qIhINAAsLIDYgAWohNiAvIBNqIS8gLiATaiEuICogE2ohKiArIBNqISsgN0EBaiI3IANHDQALIAogMUECdGogMP0LAAAgMkEQaiEyIDNBEGohMyA0QRBqITQgNUEQaiE1ICkhMSApQQRqIgYgAkoNBgwACwsCQCAZRQ0AQQAhKUEEIQYMBAsgFyESIAohBgNAIAb9DAAAgP8AAID/AACA/wAAgP8iMP0LAAAgBkHwAGogMP0LAAAgBkHgAGogMP0LAAAgBkHQAGogMP0LAAAgBkHAAGogMP0LAAAgBkEwaiAw/QsAACAGQSBqIDD9CwAAIAZBEGogMP0LAAAgBkGAAWohBiASQXhqIhINAAwDCwsDQCAG/QwAAID/AACA/wAAgP8AAID/IjD9CwAAIAZB8ABqIDD9CwAAIAZB4ABqIDD9CwAAIAZB0ABqIDD9CwAAIAZBwABqIDD9CwAAIAZBMGogMP0LAAAgBkEgaiAw/QsAACAGQRBqIDD9CwAAIAZBgAFqIQYgEkF4aiISDQALIBhBfGohKSAYIQYLIBZFDQIgFiESA0AgCiApQQJ0av0MAACA/wAAgP8AAID/AACA//0LAAAgBiIvQQRqIQYgLyEpIBJBf2oiEg0ACyAGQXxqISkMAgsgGEF8aiEpIBghBgsgFkUNACAWIRIDQCAKIClBAnRq/QwAAID/AACA/wAAgP8AAID//QsAACAGIi9BBGohBiAvISkgEkF/aiISDQALIAZBfGohKQsCQCACIClMDQACQCAJDQAgJCApQQJ0IgZqITIgACAGaiEzIBwgBmohNCAeIAZqITUgICAGaiExA0BEAAAAAAAAAAAhOAJAIANBAEwNACAEQQFIDQBEAAAAAAAAAAAhOEEAITYgMyEvIDQhLiA1ISogMSErQQAhNwNAAkACQCAEQQRPDQBBACESDAELQQAhEiAjIQYDQCA4IC8gBmoqAgC7oCAuIAZqKgIAu6AgKiAGaioCALugICsgBmoqAgC7oCE4IAYgDWohBiAPIBJBBGoiEkcNAAsLAkAgDkUNACAyIAUgEiA2amxqIQYgDiESA0AgOCAGKgIAu6AhOCAGIAVqIQYgEkF/aiISDQALCyA2IAFqITYgLyATaiEvIC4gE2ohLiAqIBNqISogKyATaiErIDdBAWoiNyADRw0ACwsgCiApQQJ0aiALIDiitjgCACAyQQRqITIgM0EEaiEzIDRBBGohNCA1QQRqITUgMUEEaiExIClBAWoiKSACRg0CDAALCwJAIANBAEoNAAJAIAIgKWsiL0EESQ0AIBEgKWohEiAKIClBAnRqIQYgKSAvIBBraiEpA0AgBv0MAACA/wAAgP8AAID/AACA//0LAgAgBkEQaiEGIBJBBGoiEg0ACyAQRQ0CCyACIClrIRIgCiApQQJ0aiEGA0AgBkGAgIB8NgIAIAZBBGohBiASQX9qIhINAAwCCwsCQCAEQQFIDQAgJCApQQJ0IgZqITIgACAGaiEzIBwgBmohNCAeIAZqITUgICAGaiExA0BDAACA/yE5QQAhNiAzIS8gNCEuIDUhKiAxIStBACE3A0ACQAJAIARBBE8NAEEAIRIMAQtBACESICMhBgNAICsgBmoqAgAiOiAqIAZqKgIAIjsgLiAGaioCACI8IC8gBmoqAgAiPSA5ID0gOV4bIjkgPCA5XhsiOSA7IDleGyI5IDogOV4bITkgBiANaiEGIA8gEkEEaiISRw0ACwsCQCAORQ0AIDIgBSASIDZqbGohBiAOIRIDQCAGKgIAIjogOSA6IDleGyE5IAYgBWohBiASQX9qIhINAAsLIDYgAWohNiAvIBNqIS8gLiATaiEuICogE2ohKiArIBNqISsgN0EBaiI3IANHDQALIAogKUECdGogOTgCACAyQQRqITIgM0EEaiEzIDRBBGohNCA1QQRqITUgMUEEaiExIClBAWoiKSACRg0CDAALCwJAIAIgKWsiL0EESQ0AIBEgKWohEiAKIClBAnRqIQYgKSAvIBBraiEpA0AgBv0MAACA/wAAgP8AAID/AACA//0LAgAgBkEQaiEGIBJBBGoiEg0ACyAQRQ0BCyACIClrIRIgCiApQQJ0aiEGA0AgBkGAgIB8NgIAIAZBBGohBiASQX9qIhINAAsLICMgFGohIyAkIBRqISQgJSAUaiElICYgFGohJiAnIBRqIScgCiAFaiEKIChBAWoiKCAIRw0ACyAaIBVqIRogGyAVaiEbIB0gFWohHSAfIBVqIR8gISAVaiEhICJBAWoiIiAHRw0ACwsL";
// END GENERATED

/**
 * Moves every Conv2D into one instance of the WebAssembly kernels (wasm/kernels.c), the one with
 * fused multiply-adds (relaxed SIMD) when `options.fma` is not false and the engine runs it, else
 * plain 128-bit SIMD: each node's weight transposed to (KH KW C, F), its bias, its zero-padded input
 * (Hp, Wp, C) and its output (P, F) in the module's memory, allocated once (the memory never grows
 * after, so the views stay valid). A 3x3 stride-1 Conv2D of 4k channels and filters runs by
 * Winograd F(2x2, 3x3) unless `options.winograd` is false: its weight is then the transformed
 * U (16, C, F) = G g G^T, computed here in float64 and rounded once to float32, and it shares one
 * scratch region for the transformed tiles and products with the others. Pool2D nodes run there
 * too (`pool`), reading a Conv2D's output where it lies. A batch norm that only the Conv2D reads, and a ReLU that only that batch norm reads,
 * run in the Conv2D's call (`affine`, the same float64 arithmetic as the batchnorm node; inside the
 * Winograd output transform for the Winograd ones, each value rounded as `affine` rounds it) and are
 * marked `fused`: they pass the Conv2D's output on. A 2x2 stride-2 max Pool2D that only such a Winograd
 * Conv2D (or its fused ReLU) feeds runs in the output transform too (each 2x2 output tile is one window)
 * and is marked `fused` the same way; the Conv2D's output is then the pooled one. Returns the kernel's name ("wasm-fma" or
 * "wasm-simd"), or null with nothing changed where WebAssembly SIMD cannot run (an old browser, a
 * page policy without 'wasm-unsafe-eval'): the scalar product then runs.
 */
function attachWasmKernel(nodes, options) {
  const convs = nodes.filter((n) => n.op === "conv2d");
  if (convs.length === 0 || typeof WebAssembly !== "object") return null;
  let instance = null, kernel = null;
  const sources = options.fma === false ? [["wasm-simd", WASM_KERNEL]] : [["wasm-fma", WASM_KERNEL_FMA], ["wasm-simd", WASM_KERNEL]];
  for (const [name, source] of sources) {
    try {
      const bytes = base64Bytes(source);
      if (!WebAssembly.validate(bytes)) continue;
      instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
      kernel = name;
      break;
    } catch {
      instance = null;
    }
  }
  if (!instance) return null;
  const { memory, conv, winograd, pool, __heap_base: heapBase } = instance.exports;
  let top = Math.ceil(heapBase.value / 16) * 16;
  const take = (floats) => { const at = top; top += Math.ceil(floats / 4) * 16; return at; };
  const readers = new Map();
  for (const n of nodes) for (const from of new Set(n.inputs)) readers.set(from, (readers.get(from) ?? []).concat([n]));
  const only = (n) => { const r = readers.get(n.name) ?? []; return r.length === 1 && r[0].inputs.length === 1 ? r[0] : null; };
  const plans = convs.map((n) => {
    const [ih, iw, c] = n.inputShape, kc = n.kh * n.kw * c;
    const gy = paddingGeometry(n.padding, ih, n.kh, n.sh), gx = paddingGeometry(n.padding, iw, n.kw, n.sw);
    const fast = options.winograd !== false && n.kh === 3 && n.kw === 3 && n.sh === 1 && n.sw === 1 && c % 4 === 0 && n.f % 4 === 0;
    const th = Math.ceil(gy.out / 2), tw = Math.ceil(gx.out / 2);
    const hp = Math.max(ih + gy.padLeft, (gy.out - 1) * n.sh + n.kh, fast ? 2 * th + 2 : 0);
    const wp = Math.max(iw + gx.padLeft, (gx.out - 1) * n.sw + n.kw, fast ? 2 * tw + 2 : 0);
    const bn = n.activation ? null : only(n), norm = bn && bn.op === "batchnorm" ? bn : null;
    const after = norm && only(norm), relu = after && after.op === "activation" && after.activation === "relu" ? after : null;
    const next = fast && !n.activation ? only(relu ?? norm ?? n) : null;
    const pool = next && next.op === "pool2d" && next.mode === "max" && String(next.size) === "2,2" && String(next.stride) === "2,2" ? next : null;
    return { n, kc, hp, wp, gy, gx, norm, relu, pool, fast, tiles: th * tw };
  });
  const at = plans.map(({ n, kc, hp, wp, gy, gx, norm, fast }) => ({
    weight: take(fast ? 16 * n.inputShape[2] * n.f : kc * n.f), bias: take(n.f), xp: take(hp * wp * n.inputShape[2]), out: take(gy.out * gx.out * n.f),
    scale: norm ? take(2 * n.f) : 0, shift: norm ? take(2 * n.f) : 0,
  }));
  const pools = nodes.filter((n) => n.op === "pool2d").map((n) => {
    const size = n.shape.reduce((a, b) => a * b, 1);
    return { n, input: take(n.inputShape.reduce((a, b) => a * b, 1)), out: take(size), size };
  });
  const winogradPlans = plans.filter((plan) => plan.fast);
  const v = take(Math.max(0, ...winogradPlans.map(({ n, tiles }) => 16 * tiles * n.inputShape[2])));
  const m = take(Math.max(0, ...winogradPlans.map(({ n, tiles }) => 16 * tiles * n.f)));
  const pages = Math.ceil(top / 65536) - memory.buffer.byteLength / 65536;
  try { if (pages > 0) memory.grow(pages); } catch { return null; }
  const heap = new Float32Array(memory.buffer);
  plans.forEach(({ n, kc, wp, gy, gx, norm, relu, pool, fast }, i) => {
    const a = at[i], w = n.weight, base = a.weight / 4;
    if (fast) winogradWeight(w, n.f, n.inputShape[2], heap.subarray(base, base + 16 * n.inputShape[2] * n.f));
    else for (let fi = 0; fi < n.f; fi++) for (let k = 0; k < kc; k++) heap[base + k * n.f + fi] = w[fi * kc + k];
    heap.set(n.bias, a.bias / 4);
    if (norm) {
      new Float64Array(memory.buffer, a.scale, n.f).set(norm.scale);
      new Float64Array(memory.buffer, a.shift, n.f).set(norm.shift);
      norm.fused = true;
      if (relu) relu.fused = true;
    }
    n.wasm = {
      conv, winograd: fast ? winograd : null, heap, ...a, v, m, wp, top: gy.padLeft, left: gx.padLeft, oh: gy.out, ow: gx.out, relu: relu !== null,
      pooled: pool !== null, view: new Float32Array(memory.buffer, a.out, pool ? pool.shape.reduce((x, y) => x * y, 1) : gy.out * gx.out * n.f),
    };
    if (!norm) n.wasm.scale = 0;
    if (pool) pool.fused = true;
  });
  for (const { n, input, out, size } of pools) n.wasm = { pool, heap, input, out, view: new Float32Array(memory.buffer, out, size) };
  primeWasmKernel(instance.exports, heapBase.value);
  return kernel;
}

/**
 * Calls each kernel of a new instance a few thousand times on nothing (every size 0, so no loop runs;
 * 4-5 ms in node on a loaded machine). V8 compiles a module's functions with its baseline compiler
 * (Liftoff) at their first call, and compiles a function again with its optimising compiler, in the
 * background, once its calls and loops have used up a budget of executed code (a call spends about the
 * function's size; each further time the budget runs out raises the compilation's priority). This
 * moves both to load, before the first image, instead of into it.
 */
function primeWasmKernel({ conv, winograd, pool }, at) {
  for (let i = 0; i < 4000; i++) {
    conv(at, 0, 0, at, at, 0, 0, 0, 1, 1, 0, 0, at, 0, 0, 0);
    winograd(at, 0, 4, at, at, 4, 0, 0, at, at, at, 0, 0, 0, 0);
    pool(at, 0, 0, 1, 1, 1, 1, 0, 0, 1, at);
  }
}

/**
 * Winograd F(2x2, 3x3)'s transformed weight of a 3x3 Conv2D weight w (F, 3, 3, C): u (16, C, F) with
 * u[4 i + j][c][f] = (G g G^T)[i][j] for g = w[f, :, :, c], G = [[1, 0, 0], [1/2, 1/2, 1/2],
 * [1/2, -1/2, 1/2], [0, 0, 1]]; in float64, rounded once to float32. Each (C, F) plane is packed as
 * the kernel's gemmPacked reads it: blocks of 8 filters (the last of 4 when F % 8 == 4), each block's
 * C rows one after the other.
 */
function winogradWeight(w, f, c, u) {
  const g = new Float64Array(9), gg = new Float64Array(12);
  for (let fi = 0; fi < f; fi++) {
    for (let ci = 0; ci < c; ci++) {
      for (let k = 0; k < 9; k++) g[k] = w[(fi * 9 + k) * c + ci];
      for (let j = 0; j < 3; j++) {
        gg[j] = g[j]; gg[3 + j] = (g[j] + g[3 + j] + g[6 + j]) / 2; gg[6 + j] = (g[j] - g[3 + j] + g[6 + j]) / 2; gg[9 + j] = g[6 + j];
      }
      // (No arrays made per pair: this runs for every channel-filter pair at load.)
      const block = fi - (fi % 8), width = block + 8 <= f ? 8 : 4, within = block * c + ci * width + fi - block;
      for (let i = 0; i < 4; i++) {
        const a = gg[3 * i], b = gg[3 * i + 1], d = gg[3 * i + 2], at = 4 * i * c * f + within, step = c * f;
        u[at] = a; u[at + step] = (a + b + d) / 2; u[at + 2 * step] = (a - b + d) / 2; u[at + 3 * step] = d;
      }
    }
  }
}

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
  constructor(config, buffer, options = {}) {
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
    /**
     * How Conv2D runs: "wasm-fma" in the WebAssembly kernel with fused multiply-adds (relaxed SIMD),
     * "wasm-simd" in the plain 128-bit SIMD one, "js" in scalar JavaScript. Options: `wasm: false`
     * for the scalar product; `fma: false` for the plain SIMD kernel where the fused one would run;
     * `winograd: false` for the direct product on every Conv2D (see attachWasmKernel).
     */
    this.kernel = options.wasm === false ? "js" : (attachWasmKernel(this.nodes, options) ?? "js");
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
      if (node.fused) { values.set(node.name, x); continue; }
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

  /** Softmax over classes or a sigmoid per label, of one network's logits. */
  raw(z) {
    return this.multiLabel ? z.map((v) => 1 / (1 + Math.exp(-v))) : softmax(z);
  }

  /** Probabilities (Float64Array, in label order) of one image, as ImageClassifier.probabilities gives them. */
  probabilities(image) {
    return this.combinedViews(this.viewInputs(image).map((input) => this.logits(input)));
  }

  /** The model inputs of one image's views: the image, then (with flip averaging) its mirror image. */
  viewInputs(image) {
    const base = this.base(image);
    return this.preprocessing.flipAveraging ? [this.finish(base), this.finish(flippedImage(base))] : [this.finish(base)];
  }

  /**
   * Probabilities (Float64Array) from the logits of each view viewInputs gives, in its order: flip
   * averaging, calibration, softmax or sigmoids. (The page's worker computes the mirror image's
   * logits in a second worker, then this.)
   */
  combinedViews(views) {
    const p = this.preprocessing;
    if (p.calibration && !this.multiLabel && this.labels.length === 2) {
      // ImageClassifier.logOdds and calibrated: the log-odds of the views' mean probability from
      // the logits in float64 (the mean of sigmoid(-d) kept as it is, not 1 - p), clamped to those
      // of 1e-7; then each side of sigmoid(slope x + intercept) on its own, rounded as Swift's Float.
      const d = views.map((z) => z[1] - z[0]);
      const x = Math.log(d.reduce((a, v) => a + 1 / (1 + Math.exp(-v)), 0)) - Math.log(d.reduce((a, v) => a + 1 / (1 + Math.exp(v)), 0));
      const bound = Math.log((1 - 1e-7) / 1e-7), clamped = Number.isNaN(x) ? x : Math.min(Math.max(x, -bound), bound);
      const s = p.calibration[0] * clamped + p.calibration[1];
      return Float64Array.from([f32(1 / (1 + Math.exp(s))), f32(1 / (1 + Math.exp(-s)))]);
    }
    const out = this.raw(views[0]);
    if (views.length === 2) {
      const mirrored = this.raw(views[1]);
      return out.map((v, k) => (v + mirrored[k]) / 2);
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

// MARK: - TB resistance (Sources/Genomics: VCF.swift, SampleReader.swift, VariantAnnotator.swift,
// Catalogue.swift, CataloguePredictor.swift; Sources/Models/ResistanceModel.swift, ResistanceTraining.swift)
//
// `m.resist(vcf, {file})` reads a VCF on H37Rv as `triage resist --model M --json` does and gives
// the same objects: the same records kept and refused (with the same messages, naming file and
// line), the same gene-level names, the catalogue's calls as features (wdnn+catalogue), the wide &
// deep network, thresholds and occlusion evidence. Bases are char codes (A 65, C 67, G 71, T 84).
//
// One departure: Swift compares float32 probabilities with thresholds that are themselves the
// probabilities of validation isolates, so an isolate with the same tokens sits exactly on the
// threshold. Sums here run in float64 and may land a rounding error below it: a logit within
// 2e-5 (relative, at least 2e-5) under the threshold's logit counts as reaching it.

const TB_KIND = "tb-resistance";

/** A VCF that cannot be used: `file:line: reason`, as Swift's GenomicsError says it. */
class TriageInputError extends Error {
  constructor(file, line, reason) {
    super(file != null && line != null ? `${file}:${line}: ${reason}` : file != null ? `${file}: ${reason}` : line != null ? `line ${line}: ${reason}` : reason);
    this.name = "TriageInputError";
    this.file = file; this.line = line; this.reason = reason;
  }
}

const B_A = 65, B_C = 67, B_G = 71, B_T = 84, B_N = 78, B_STOP = 42;
const COMPLEMENT = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = i;
  for (const [a, b] of [["A", "T"], ["C", "G"], ["R", "Y"], ["K", "M"], ["S", "S"], ["W", "W"], ["B", "V"], ["D", "H"], ["N", "N"]]) {
    t[a.charCodeAt(0)] = b.charCodeAt(0); t[b.charCodeAt(0)] = a.charCodeAt(0);
  }
  return t;
})();
const CODON_TABLE = "FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";
const AMINO_NAMES = { A: "Ala", R: "Arg", N: "Asn", D: "Asp", C: "Cys", Q: "Gln", E: "Glu", G: "Gly", H: "His", I: "Ile", L: "Leu", K: "Lys",
  M: "Met", F: "Phe", P: "Pro", S: "Ser", T: "Thr", W: "Trp", Y: "Tyr", V: "Val", "*": "*", X: "Xaa" };
const LOSS_OF_FUNCTION = new Set(["frameshift_variant", "stop_gained", "start_lost", "feature_ablation"]);

function baseCode(b) { return b === B_T ? 0 : b === B_C ? 1 : b === B_A ? 2 : b === B_G ? 3 : -1; }
/** GeneticCode.translate of one codon: a one-letter char code ('X' 88 when a base is ambiguous). */
function translateCodon(a, b, c) {
  const x = baseCode(a), y = baseCode(b), z = baseCode(c);
  return x < 0 || y < 0 || z < 0 ? 88 : CODON_TABLE.charCodeAt(16 * x + 4 * y + z);
}
function translateBases(bases, toStop) {
  const out = [];
  for (let i = 0; i + 2 < bases.length; i += 3) {
    const aa = translateCodon(bases[i], bases[i + 1], bases[i + 2]);
    out.push(aa);
    if (toStop && aa === B_STOP) break;
  }
  return out;
}
function isStartCodon(a, b, c) {
  if (b === B_T && c === B_G) return a === B_T || a === B_C || a === B_A || a === B_G;
  return a === B_A && b === B_T && (c === B_T || c === B_C || c === B_A);
}
function aminoName(aa) { return AMINO_NAMES[String.fromCharCode(aa)] ?? "Xaa"; }
function aminoNames(aas) { return aas.map(aminoName).join(""); }
function isNucleotide(b) { return b === 65 || b === 67 || b === 71 || b === 84 || b === 78 || b === 97 || b === 99 || b === 103 || b === 116 || b === 110; }
function codes(text) { const out = new Array(text.length); for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i); return out; }
function basesText(bases) {
  let s = "";
  for (let i = 0; i < bases.length; i += 4096) s += String.fromCharCode(...bases.slice(i, i + 4096));
  return s;
}
function sameBases(a, b) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false; return true; }
function reverseComplement(bases) { const out = new Array(bases.length); for (let i = 0; i < bases.length; i++) out[i] = COMPLEMENT[bases[bases.length - 1 - i]]; return out; }
/** Swift's Int(String): an optional sign and decimal digits. */
function swiftInt(text) { return /^[+-]?[0-9]+$/.test(text) ? Number(text) : null; }
/** DecimalNumber.parse: a plain decimal number (sign, digits, point, exponent), finite. */
function decimalNumber(text) {
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}
/** Lines.integer: up to 18 decimal digits, nothing else. */
function plainInteger(text) { return text.length > 0 && text.length <= 18 && /^[0-9]+$/.test(text) ? Number(text) : null; }
function isASCII(text) { return /^[\x00-\x7f]*$/.test(text); }

/** A gene of the reference (Reference.swift): 1-based start <= end, strand +1 or -1. */
class TBGene {
  constructor(row, what) {
    if (!Array.isArray(row) || row.length < 5 || typeof row[0] !== "string" || !Number.isInteger(row[1]) || !Number.isInteger(row[2])
        || row[1] > row[2] || (row[3] !== 1 && row[3] !== -1) || typeof row[4] !== "boolean") {
      fail(`${what} must be [name, start, end, strand, isRNA] with start <= end and strand 1 or -1`);
    }
    [this.name, this.start, this.end, this.strand, this.isRNA] = row;
    this.length = this.end - this.start + 1;
  }
  local(g) { return this.strand >= 0 ? g - this.start + 1 : this.end - g + 1; }
  genomic(t) { return this.strand >= 0 ? this.start + t - 1 : this.end - t + 1; }
  label(t) { return t <= 0 ? `-${1 - t}` : t > this.length ? `*${t - this.length}` : `${t}`; }
}

/** VariantAnnotator.swift: names a VCF allele in the catalogue genes' HGVS grammar. */
class TBAnnotator {
  constructor(reference, genome) {
    this.genome = genome;                       // Uint8Array of char codes, genome[0] is position 1
    this.length = genome.length;
    this.upstreamWindow = reference.upstreamWindow;
    this.longDeletion = reference.longDeletion;
    this.genes = reference.genes.map((g, i) => new TBGene(g, `reference.genes[${i}]`));
    this.genes.forEach((g, i) => {
      const w = reference.genes[i][5];
      if (!Number.isInteger(w) || w < 0 || w > 100000) fail(`reference.genes[${i}] lacks its upstream window`);
      g.window = w;
    });
    this.genes.sort((a, b) => a.start - b.start);
    this.windows = this.genes.map((g) => (g.strand >= 0 ? { lo: g.start - g.window, hi: g.end, gene: g } : { lo: g.start, hi: g.end + g.window, gene: g }))
      .sort((a, b) => a.lo - b.lo);
    this.maxWindow = this.windows.reduce((m, w) => Math.max(m, w.hi - w.lo + 1), 0);
    this.aliasGenes = reference.aliasGenes.map((g, i) => new TBGene(g, `reference.aliasGenes[${i}]`)).sort((a, b) => a.start - b.start);
    this.longestAlias = this.aliasGenes.reduce((m, g) => Math.max(m, g.length), 0);
  }

  genesOverlapping(lo, hi) {
    let left = 0, right = this.windows.length;
    const from = lo - this.maxWindow;
    while (left < right) { const mid = (left + right) >> 1; if (this.windows[mid].lo < from) left = mid + 1; else right = mid; }
    const found = [];
    for (let i = left; i < this.windows.length && this.windows[i].lo <= hi; i++) if (this.windows[i].hi >= lo) found.push(this.windows[i].gene);
    return found;
  }

  /** The gene-level names of one ALT allele at `position` (REF already checked against H37Rv). */
  annotate(position, ref, alt) {
    let r = codes(ref), a = codes(alt), pos = position;
    while (r.length > 0 && a.length > 0 && r[r.length - 1] === a[a.length - 1]) { r.pop(); a.pop(); }
    let prefix = 0;
    while (prefix < r.length && prefix < a.length && r[prefix] === a[prefix]) prefix++;
    if (prefix > 0) { r = r.slice(prefix); a = a.slice(prefix); pos += prefix; }
    if (r.length === 0 && a.length === 0) return [];
    const lo = r.length === 0 ? pos - 1 : pos, hi = r.length === 0 ? pos : pos + r.length - 1;
    let candidates = this.genesOverlapping(lo, hi);
    const length = this.length;
    if (candidates.length === 0 && hi > length - this.upstreamWindow) {
      pos -= length;
      candidates = this.genesOverlapping(lo - length, hi - length);
    }
    if (candidates.length === 0) return [];
    const [first, last] = pos < 1 ? [lo - length, hi - length] : [lo, hi];
    const inside = candidates.filter((g) => g.start <= last && g.end >= first && !(r.length === 0 && (g.end === first || g.start === last)));
    const chosen = inside.length === 0 ? candidates : inside;
    const names = [];
    for (const gene of chosen) names.push(...this.name(gene, pos, r, a));
    if (inside.length === 0) {
      const other = this.aliasGene(first, last);
      if (other) {
        const n = this.name(other, pos, r, a)[0];
        const alias = n ? `${n.gene} ${n.change}` : null;
        for (const v of names) v.alias = alias;
      }
    }
    return names;
  }

  aliasGene(lo, hi) {
    let best = null, bestScore = Infinity;
    let left = 0, right = this.aliasGenes.length;
    while (left < right) { const mid = (left + right) >> 1; if (this.aliasGenes[mid].start < lo - this.longestAlias - 100) left = mid + 1; else right = mid; }
    for (let i = left; i < this.aliasGenes.length; i++) {
      const gene = this.aliasGenes[i];
      if (gene.start > hi + 100) break;
      const inside = gene.start <= hi && gene.end >= lo;
      const distance = gene.strand >= 0 ? gene.start - hi : lo - gene.end;
      if (inside || (distance > 0 && distance <= 100)) {
        const score = inside ? 0 : distance;
        if (score < bestScore) { best = gene; bestScore = score; }
      }
    }
    return best;
  }

  geneBase(gene, t) {
    let g = gene.genomic(t);
    const length = this.length;
    if (g < 1) g += length; else if (g > length) g -= length;
    if (g < 1 || g > length) return B_N;
    const base = this.genome[g - 1];
    return gene.strand >= 0 ? base : COMPLEMENT[base];
  }
  geneBases(gene, from, to) { const out = []; for (let t = from; t <= to; t++) out.push(this.geneBase(gene, t)); return out; }

  name(gene, position, ref, alt) {
    const minus = gene.strand < 0;
    const r = minus ? reverseComplement(ref) : ref, a = minus ? reverseComplement(alt) : alt;
    if (r.length === 0) return this.insertion(gene, minus ? gene.local(position) : gene.local(position - 1), a);
    const t0 = minus ? gene.local(position + ref.length - 1) : gene.local(position);
    const t1 = t0 + r.length - 1;
    if (a.length === 0) return this.deletion(gene, t0, t1);
    if (r.length === a.length) return this.substitution(gene, t0, r, a);
    return this.delins(gene, t0, t1, a);
  }

  prefix(gene) { return gene.isRNA ? "n." : "c."; }
  nucleotideEffect(gene, t0, t1) {
    if (t1 <= 0) return "upstream_gene_variant";
    if (t0 > gene.length) return "downstream_gene_variant";
    return gene.isRNA ? "non_coding_transcript_exon_variant" : "coding_sequence_variant";
  }
  range(gene, t0, t1) { return t0 === t1 ? gene.label(t0) : `${gene.label(t0)}_${gene.label(t1)}`; }

  substitution(gene, t0, ref, alt) {
    const names = [];
    const t1 = t0 + ref.length - 1;
    const handled = new Set();
    for (let k = 0; k < ref.length; k++) {
      if (ref[k] === alt[k]) continue;
      const t = t0 + k;
      if (!gene.isRNA && t >= 1 && t <= gene.length) {
        const codon = Math.floor((t - 1) / 3);
        if (handled.has(codon)) continue;
        handled.add(codon);
        names.push(...this.codonChange(gene, codon, t0, ref, alt));
      } else {
        const effect = t <= 0 ? "upstream_gene_variant" : t > gene.length ? "downstream_gene_variant" : "non_coding_transcript_exon_variant";
        names.push(tbVariant(gene.name, `${this.prefix(gene)}${gene.label(t)}${String.fromCharCode(ref[k])}>${String.fromCharCode(alt[k])}`, effect));
      }
    }
    if (ref.length > 1 && names.length > 0) {
      names[0].synonyms.push(`${this.prefix(gene)}${this.range(gene, t0, t1)}del${basesText(ref)}ins${basesText(alt)}`);
    }
    return names;
  }

  codonChange(gene, codon, t0, ref, alt) {
    const first = codon * 3 + 1;
    const refCodon = [0, 0, 0], altCodon = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      const t = first + j;
      refCodon[j] = this.geneBase(gene, t);
      const k = t - t0;
      altCodon[j] = k >= 0 && k < alt.length ? alt[k] : refCodon[j];
    }
    const number = codon + 1, isStart = codon === 0;
    const refAA = isStart ? 77 : translateCodon(...refCodon);
    const altAA = isStart && isStartCodon(...altCodon) ? 77 : translateCodon(...altCodon);
    if (refAA === altAA) {
      const names = [];
      for (let j = 0; j < 3; j++) {
        if (refCodon[j] === altCodon[j]) continue;
        names.push(tbVariant(gene.name, `c.${first + j}${String.fromCharCode(refCodon[j])}>${String.fromCharCode(altCodon[j])}`,
          refAA === B_STOP ? "stop_retained_variant" : "synonymous_variant"));
      }
      return names;
    }
    if (isStart) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
    if (refAA === B_STOP) return [tbVariant(gene.name, `p.Ter${number}${aminoName(altAA)}ext*?`, "stop_lost")];
    if (altAA === B_STOP) return [tbVariant(gene.name, `p.${aminoName(refAA)}${number}*`, "stop_gained")];
    return [tbVariant(gene.name, `p.${aminoName(refAA)}${number}${aminoName(altAA)}`, "missense_variant")];
  }

  deletion(gene, t0, t1) {
    if (t0 <= 1 && t1 >= gene.length) return [tbVariant(gene.name, "deletion", "feature_ablation")];
    if (!gene.isRNA && t1 >= 1 && t0 <= gene.length) {
      if (t0 <= 3) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
      if (t1 > gene.length - 3) {
        const stop = Math.floor(gene.length / 3);
        if (t0 > gene.length - 3) return [tbVariant(gene.name, `p.Ter${stop}ext*?`, "stop_lost")];
        const codon = Math.floor((t0 - 1) / 3);
        const first = translateCodon(this.geneBase(gene, codon * 3 + 1), this.geneBase(gene, codon * 3 + 2), this.geneBase(gene, codon * 3 + 3));
        if ((t1 - t0 + 1) % 3 !== 0) return [tbVariant(gene.name, `p.${aminoName(first)}${codon + 1}fs`, "frameshift_variant")];
        return [tbVariant(gene.name, `p.${aminoName(first)}${codon + 1}_Ter${stop}del`, "feature_ablation")];
      }
      let a = t0, b = t1;
      while (b + 1 <= gene.length + 3 && this.geneBase(gene, b + 1) === this.geneBase(gene, a)) { a++; b++; }
      let lo = t0, hi = t1;
      while (lo - 1 >= 4 && this.geneBase(gene, lo - 1) === this.geneBase(gene, hi)) { lo--; hi--; }
      return this.codingIndel(gene, a, b, [], lo);
    }
    let lo = t0, hi = t1;
    while (this.geneBase(gene, lo - 1) === this.geneBase(gene, hi) && hi - 1 >= t0 - this.upstreamWindow) { lo--; hi--; }
    let a = t0, b = t1;
    while (this.geneBase(gene, b + 1) === this.geneBase(gene, a) && b + 1 <= gene.length + this.upstreamWindow) { a++; b++; }
    const named = (x, y) => {
      const deleted = this.geneBases(gene, x, y);
      return `${this.prefix(gene)}${this.range(gene, x, y)}del${deleted.length > this.longDeletion ? "" : basesText(deleted)}`;
    };
    const primary = named(a, b);
    const others = [...new Set([named(lo, hi), named(t0, t1)].filter((n) => n !== primary))].sort(compareStrings);
    return [tbVariant(gene.name, primary, this.nucleotideEffect(gene, a, b), others)];
  }

  insertion(gene, after, inserted) {
    if (!gene.isRNA && after >= 0 && after < 3) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
    let at = after;
    const seq = inserted.slice();
    const shiftLimit = !gene.isRNA && after >= 1 && after < gene.length ? gene.length - 1 : gene.length + this.upstreamWindow;
    while (seq.length > 0 && this.geneBase(gene, at + 1) === seq[0] && at + 1 <= shiftLimit) { seq.push(seq.shift()); at++; }
    let left = after;
    const leftSeq = inserted.slice();
    if (!gene.isRNA && at >= 1 && at < gene.length) {
      while (leftSeq.length > 0 && this.geneBase(gene, left) === leftSeq[leftSeq.length - 1] && left - 1 >= 3) { leftSeq.unshift(leftSeq.pop()); left--; }
      return this.codingIndel(gene, at + 1, at, seq, left + 1);
    }
    while (leftSeq.length > 0 && this.geneBase(gene, left) === leftSeq[leftSeq.length - 1] && left - 1 >= after - this.upstreamWindow) {
      leftSeq.unshift(leftSeq.pop()); left--;
    }
    const names = (x, bases) => {
      const n = bases.length, list = [], text = basesText(bases);
      if (sameBases(this.geneBases(gene, x - n + 1, x), bases)) list.push(`${this.prefix(gene)}${this.range(gene, x - n + 1, x)}dup${text}`);
      if (sameBases(this.geneBases(gene, x + 1, x + n), bases)) list.push(`${this.prefix(gene)}${this.range(gene, x + 1, x + n)}dup${text}`);
      list.push(`${this.prefix(gene)}${gene.label(x)}_${gene.label(x + 1)}ins${text}`);
      return list;
    };
    const all = [...names(at, seq), ...names(left, leftSeq)];
    const asWritten = names(after, inserted);
    const primary = all[0];
    const synonyms = [];
    for (const n of [...all.slice(1), ...asWritten]) if (n !== primary && !synonyms.includes(n)) synonyms.push(n);
    return [tbVariant(gene.name, primary, this.nucleotideEffect(gene, at, at + 1), synonyms)];
  }

  delins(gene, t0, t1, inserted) {
    if (t0 <= 1 && t1 >= gene.length) return [tbVariant(gene.name, "deletion", "feature_ablation")];
    if (!gene.isRNA && t1 >= 1 && t0 <= gene.length) {
      if (t0 <= 3) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
      return this.codingIndel(gene, t0, t1, inserted);
    }
    const deleted = this.geneBases(gene, t0, t1);
    return [tbVariant(gene.name, `${this.prefix(gene)}${this.range(gene, t0, t1)}del${basesText(deleted)}ins${basesText(inserted)}`,
      this.nucleotideEffect(gene, t0, t1))];
  }

  codingIndel(gene, t0, t1, inserted, leftmost = null) {
    if (t0 <= 1 && t1 >= 1) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
    if (t0 < 1) return [];
    const cdsEnd = gene.length + 3000;
    const refBases = this.geneBases(gene, 1, cdsEnd);
    const altBases = refBases.slice(0, t0 - 1).concat(inserted, t1 < cdsEnd ? refBases.slice(t1) : []);
    const refProtein = translateBases(refBases.slice(0, gene.length), false);
    const altProtein = translateBases(altBases, true);
    const change = (inserted.length - (t1 - t0 + 1)) % 3 !== 0;
    let p = 0;
    while (p < refProtein.length && p < altProtein.length && refProtein[p] === altProtein[p]) p++;
    if (change) {
      let fivePrime = null;
      if (leftmost !== null && leftmost >= 1 && Math.floor((leftmost - 1) / 3) < refProtein.length) {
        const codon = Math.floor((leftmost - 1) / 3), aa = refProtein[codon];
        fivePrime = aa === B_STOP ? `p.Ter${codon + 1}ext*?` : `p.${aminoName(aa)}${codon + 1}fs`;
      }
      if (p >= refProtein.length) return fivePrime !== null ? [tbVariant(gene.name, fivePrime, "frameshift_variant")] : [];
      if (p === 0) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
      const aa = refProtein[p];
      if (aa === B_STOP) return [tbVariant(gene.name, `p.Ter${p + 1}ext*?`, "stop_lost")];
      const name = `p.${aminoName(aa)}${p + 1}fs`;
      return [tbVariant(gene.name, name, "frameshift_variant", fivePrime === null || fivePrime === name ? [] : [fivePrime])];
    }
    if (p >= refProtein.length) return [];
    if (p === 0) return [tbVariant(gene.name, "p.Met1?", "start_lost")];
    const rc = refProtein.length, ac = altProtein.length;
    let s = 0;
    while (s < rc - p && s < ac - p && refProtein[rc - 1 - s] === altProtein[ac - 1 - s]) s++;
    let s5 = 0;
    while (s5 < rc && s5 < ac && refProtein[rc - 1 - s5] === altProtein[ac - 1 - s5]) s5++;
    let p5 = 0;
    while (p5 < rc - s5 && p5 < ac - s5 && refProtein[p5] === altProtein[p5]) p5++;
    const names = proteinNames(refProtein, altProtein, p, s);
    if (names.length === 0) {
      const ref = basesText(this.geneBases(gene, t0, t1));
      return [tbVariant(gene.name, inserted.length === 0 ? `c.${this.range(gene, t0, t1)}del${ref}` : `c.${this.range(gene, t0, t1)}del${ref}ins${basesText(inserted)}`,
        "synonymous_variant")];
    }
    if ((p5 !== p || s5 !== s) && p5 > 0) {
      for (const other of proteinNames(refProtein, altProtein, p5, s5)) if (!names.some((n) => n[0] === other[0])) names.push(other);
    }
    return [tbVariant(gene.name, names[0][0], names[0][1], names.slice(1).map((n) => n[0]))];
  }
}

/** Names and effects of a protein change where `p` residues lead and `s` trail unchanged (VariantAnnotator.proteinNames). */
function proteinNames(ref, alt, p, s) {
  const deleted = ref.slice(p, ref.length - s), added = alt.slice(p, alt.length - s);
  const aa = (i) => `${aminoName(ref[i])}${i + 1}`;
  if (deleted.length === 0 && added.length === 0) return [];
  if (added.length === 0) {
    if (deleted[deleted.length - 1] === B_STOP && deleted.length === 1) return [[`p.Ter${p + 1}ext*?`, "stop_lost"]];
    const name = deleted.length === 1 ? `p.${aa(p)}del` : `p.${aa(p)}_${aa(p + deleted.length - 1)}del`;
    return [[name, deleted[deleted.length - 1] === B_STOP ? "feature_ablation" : "inframe_deletion"]];
  }
  if (deleted.length === 0) {
    const n = added.length;
    const insertion = [`p.${aa(p - 1)}_${aa(p)}ins${aminoNames(added)}`, "inframe_insertion"];
    if (p - n >= 0 && sameBases(ref.slice(p - n, p), added)) {
      return [[n === 1 ? `p.${aa(p - 1)}dup` : `p.${aa(p - n)}_${aa(p - 1)}dup`, "inframe_insertion"], insertion];
    }
    if (added.includes(B_STOP)) return [[`p.${aa(p)}*`, "stop_gained"]];
    return [insertion];
  }
  if (added[added.length - 1] === B_STOP && added.length === 1) return [[`p.${aa(p)}*`, "stop_gained"]];
  if (deleted.length === 1 && added.length === 1) return [[`p.${aa(p)}${aminoName(added[0])}`, "missense_variant"]];
  const span = deleted.length === 1 ? aa(p) : `${aa(p)}_${aa(p + deleted.length - 1)}`;
  const effect = deleted[deleted.length - 1] === B_STOP ? "feature_ablation" : added.length < deleted.length ? "inframe_deletion" : "inframe_insertion";
  return [[`p.${span}delins${aminoNames(added)}`, effect]];
}

function tbVariant(gene, change, effect, synonyms = []) { return { gene, change, effect, synonyms, alias: null }; }
/** Swift's String order for the ASCII names compared here. */
function compareStrings(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

/** SampleReader.sampleName: the file name without folders and .gz / .vcf / ... extensions. */
function tbSampleName(path) {
  let name = String(path).split("/").pop();
  for (const ext of [".gz", ".vcf", ".bcf", ".fasta", ".fa", ".fna", ".fas", ".txt"]) {
    if (name.toLowerCase().endsWith(ext)) name = name.slice(0, name.length - ext.length);
  }
  return name === "" ? String(path) : name;
}

/** A ##contig / ##FILTER value (VCF.structuredValue). */
function structuredValue(text, key) {
  const open = text.indexOf("<"), close = text.lastIndexOf(">");
  if (open < 0 || close < 0 || open >= close) return null;
  for (const part of text.slice(open + 1, close).split(",")) {
    if (part === "") continue;
    const s = part.replace(/^=+/, "");
    const eq = s.indexOf("=");
    if (eq < 0 || eq === s.length - 1) continue;
    if (s.slice(0, eq) === key) return s.slice(eq + 1);
  }
  return null;
}

/** The lines of a VCF given as text or bytes (Uint8Array / ArrayBuffer): strings, and which were not UTF-8. */
function vcfLines(input) {
  let text, invalid = null;
  if (typeof input === "string") text = input;
  else {
    const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : input;
    if (!(bytes instanceof Uint8Array)) fail("a VCF must be given as text, a Uint8Array or an ArrayBuffer");
    // ignoreBOM keeps a byte-order mark, which Swift's reader does not skip either.
    try { text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes); } catch {
      // Line by line: a kept record that is not UTF-8 is refused, as Swift refuses it.
      const lossy = new TextDecoder("utf-8", { ignoreBOM: true }), strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      const lines = [];
      invalid = new Set();
      let start = 0;
      while (start < bytes.length) {
        let end = bytes.indexOf(10, start);
        if (end < 0) end = bytes.length;
        const slice = bytes.subarray(start, end);
        try { lines.push(strict.decode(slice)); } catch { invalid.add(lines.length); lines.push(lossy.decode(slice)); }
        start = end + 1;
      }
      return { lines: lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)), invalid };
    }
  }
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) if (lines[i].endsWith("\r")) lines[i] = lines[i].slice(0, -1);
  return { lines, invalid };
}

/** The reference facts of an export and what reading a VCF against it needs (Reference, SampleReader). */
class TBReader {
  constructor(reference, genome) {
    this.annotator = new TBAnnotator(reference, genome);
    this.genome = genome;
    this.contigNames = new Set(reference.contigNames);
    this.accession = reference.accession;
    this.genomeLength = reference.genomeLength;
    // The catalogue genes with their upstream windows as merged, sorted intervals (circular chromosome).
    const length = genome.length, spans = [];
    for (const g of this.annotator.genes) {
      const lo = g.strand >= 0 ? g.start - g.window : g.start, hi = g.strand >= 0 ? g.end : g.end + g.window;
      if (lo < 1) { spans.push([lo + length, length]); spans.push([1, hi]); }
      else if (hi > length) { spans.push([lo, length]); spans.push([1, hi - length]); }
      else spans.push([lo, hi]);
    }
    spans.sort((a, b) => a[0] - b[0]);
    this.regions = [];
    for (const s of spans) {
      const last = this.regions[this.regions.length - 1];
      if (last && s[0] <= last[1] + 1) last[1] = Math.max(last[1], s[1]); else this.regions.push([s[0], s[1]]);
    }
  }

  inRegion(position) {
    const r = this.regions;
    let left = 0, right = r.length;
    while (left < right) { const mid = (left + right) >> 1; if (r[mid][1] < position) left = mid + 1; else right = mid; }
    return left < r.length && r[left][0] <= position;
  }

  /** SampleReader.refProblem: a sentence when REF disagrees with H37Rv at `pos`, else null. */
  refProblem(pos, ref) {
    const bytes = isASCII(ref) ? codes(ref) : Array.from(utf8Encoder.encode(ref));
    const sequence = this.genome;
    if (pos + bytes.length - 1 > sequence.length) {
      return `POS ${pos} with REF ${ref} runs past the end of H37Rv (${sequence.length} bp): the VCF is on another reference`;
    }
    for (let i = 0; i < bytes.length; i++) {
      let b = bytes[i];
      if (b >= 0x61) b -= 0x20;
      const r = sequence[pos - 1 + i];
      if (b !== r && b !== B_N && r !== B_N) {
        const actual = basesText(Array.from(sequence.subarray(pos - 1, pos - 1 + bytes.length)));
        return `REF ${ref} at POS ${pos} disagrees with H37Rv, which has ${actual} there: the VCF is on another reference or is corrupt`;
      }
    }
    return null;
  }

  checkContigs(header, file) {
    if (header.contigs.length === 0) return;
    const match = header.contigs.find((c) => this.contigNames.has(c.id));
    if (match) {
      if (match.length !== null && match.length !== this.genomeLength) {
        throw new TriageInputError(file, match.line, `contig ${match.id} has length ${match.length}; H37Rv ${this.accession} has ${this.genomeLength}: the VCF is on another reference`);
      }
      return;
    }
    const listed = header.contigs.slice(0, 5).map((c) => (c.length !== null ? `${c.id} (${c.length} bp)` : c.id));
    throw new TriageInputError(file, header.contigs[0].line,
      `the VCF is on another reference (contigs ${listed.join(", ")}); call variants against H37Rv ${this.accession} (${this.genomeLength} bp)`);
  }

  /**
   * The samples of a VCF (SampleReader.samples + VCFSamples): per sample its id, its variants in
   * the catalogue genes ({variant: {gene, change, effect, synonyms, alias}, alleleFraction, position,
   * depth}) and notes. Throws TriageInputError where Swift refuses the file.
   */
  samples(input, file, includeFiltered = false) {
    if (typeof input === "string" ? input.startsWith(">") : (input instanceof ArrayBuffer ? new Uint8Array(input) : input)[0] === 0x3E) {
      throw new TriageInputError(file, null, "a FASTA file: the offline runtime reads VCF only (`triage resist` reads FASTA)");
    }
    const { lines, invalid } = vcfLines(input);
    const header = { fileFormat: "", contigs: [], sampleNames: [] };
    let sawColumns = false, skipped = 0, kept = 0, collector = null;
    for (let i = 0; i < lines.length; i++) {
      const number = i + 1, line = lines[i];
      if (number === 1) {
        if (!line.startsWith("##fileformat=VCFv4")) {
          if (line.startsWith("##fileformat=")) throw new TriageInputError(file, 1, `${line.slice(13)} is not supported; VCF 4.0 to 4.x is`);
          throw new TriageInputError(file, 1, "not a VCF file: the first line must be ##fileformat=VCFv4.x");
        }
        header.fileFormat = line.slice(13);
        continue;
      }
      if (line.length === 0) continue;
      if (line.charCodeAt(0) === 0x23) {
        if (sawColumns) throw new TriageInputError(file, number, "a header line after the #CHROM line");
        if (line.startsWith("##contig=<")) {
          const id = structuredValue(line, "ID");
          if (id === null || id === "") throw new TriageInputError(file, number, "a ##contig line without ID");
          let length = null;
          const value = structuredValue(line, "length");
          if (value !== null) {
            const parsed = swiftInt(value);
            if (parsed === null || !(parsed > 0) || parsed > Number.MAX_SAFE_INTEGER) throw new TriageInputError(file, number, `contig ${id} has length '${value}', not a positive integer`);
            length = parsed;
          }
          header.contigs.push({ id, length, line: number });
        } else if (line.startsWith("#CHROM")) {
          const columns = line.split("\t");
          const expected = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"];
          if (columns.length < 8 || expected.some((c, k) => columns[k] !== c)) {
            throw new TriageInputError(file, number, "the column line must be tab-separated #CHROM POS ID REF ALT QUAL FILTER INFO [FORMAT samples...]");
          }
          if (columns.length > 8) {
            if (columns[8] !== "FORMAT") throw new TriageInputError(file, number, `the ninth column must be FORMAT, not '${columns[8]}'`);
            header.sampleNames = columns.slice(9);
          }
          sawColumns = true;
        }
        continue;
      }
      if (!sawColumns) throw new TriageInputError(file, number, "a data line before the #CHROM header line");
      // Fast path: POS and REF of records outside the catalogue's regions, checked on every fourth.
      const tab1 = indexOrEnd(line, 0), tab2 = indexOrEnd(line, tab1 + 1), tab3 = indexOrEnd(line, tab2 + 1), tab4 = indexOrEnd(line, tab3 + 1);
      if (tab4 < line.length) {
        const pos = plainInteger(line.slice(tab1 + 1, tab2));
        if (pos !== null && pos > 0 && !this.inRegion(pos)) {
          skipped++;
          if ((skipped & 3) === 1) {
            const problem = this.refProblem(pos, line.slice(tab3 + 1, tab4));
            if (problem !== null) throw new TriageInputError(file, number, problem);
          }
          continue;
        }
      }
      const record = vcfRecord(line, number, header.sampleNames.length, file, invalid !== null && invalid.has(i));
      kept++;
      if (collector === null) collector = new TBSamples(this, header, file, includeFiltered);
      collector.add(record);
    }
    if (header.fileFormat === "") throw new TriageInputError(file, null, "the file is empty, not a VCF file");
    if (!sawColumns) throw new TriageInputError(file, null, "no #CHROM header line: the VCF header is incomplete");
    return (collector ?? new TBSamples(this, header, file, includeFiltered)).finish(kept === 0 && skipped === 0);
  }
}

function indexOrEnd(line, from) { const i = line.indexOf("\t", from); return i < 0 ? line.length : i; }

const MAXIMUM_DEPTH = 1000000000;

/** VCF.record: one data line, checked as Swift checks it. */
function vcfRecord(line, number, samples, file, notUTF8) {
  const error = (reason) => new TriageInputError(file, number, reason);
  if (notUTF8 || line.includes("\0")) throw error("the line is not UTF-8 text (invalid bytes or a NUL byte)");
  const fields = line.split("\t");
  if (fields.length < 8) throw error(`${fields.length} tab-separated columns; a VCF data line has at least 8`);
  const expectedFields = samples > 0 ? 9 + samples : 8;
  if (fields.length !== expectedFields && !(samples === 0 && fields.length === 8)) {
    throw error(`${fields.length} columns where the header promises ${expectedFields} (${samples} sample${samples === 1 ? "" : "s"})`);
  }
  const position = plainInteger(fields[1]);
  if (position === null || position <= 0) throw error(`POS '${fields[1]}' is not a positive integer`);
  const ref = fields[3].toUpperCase();
  if (ref.length === 0 || !Array.from(ref).every((c) => c.length === 1 && isNucleotide(c.charCodeAt(0)))) {
    throw error(`REF '${fields[3]}' is not a run of A, C, G, T, N`);
  }
  const alternates = fields[4].split(",").map((a) => (a.startsWith("<") ? a : a.toUpperCase()));
  if (alternates.some((a) => a === "")) throw error(`an empty ALT allele (ALT '${fields[4]}')`);
  if (alternates.length > 1) {
    const distinct = new Set(alternates);
    if (distinct.size < alternates.length) {
      const repeated = alternates.find((a, k) => alternates.indexOf(a) !== k) ?? "";
      throw error(`ALT lists allele ${repeated.slice(0, 40)} more than once (${alternates.length} alleles, ${distinct.size} distinct)`);
    }
  }
  if (fields[5] !== "." && decimalNumber(fields[5]) === null) throw error(`QUAL '${fields[5]}' is not a number or '.'`);
  const filters = fields[6] === "." ? [] : fields[6].split(";").filter((f) => f !== "");
  const calls = [];
  if (samples > 0) {
    const keys = fields[8].split(":").filter((k) => k !== "");
    const gt = keys.indexOf("GT"), ad = keys.indexOf("AD"), dp = keys.indexOf("DP");
    for (let s = 0; s < samples; s++) {
      const values = fields[9 + s].split(":");
      if (values.length > Math.max(keys.length, 1)) throw error(`sample ${s + 1} has ${values.length} values for ${keys.length} FORMAT keys`);
      const call = { genotype: [], alleleDepths: null, depth: null };
      if (gt >= 0 && gt < values.length) call.genotype = vcfGenotype(values[gt], alternates.length, error);
      if (ad >= 0 && ad < values.length && values[ad] !== ".") {
        const depths = [];
        for (const part of values[ad].split(",")) {
          if (part === ".") { depths.push(0); continue; }
          const d = swiftInt(part);
          if (d === null || d < 0 || d > MAXIMUM_DEPTH) throw error(`AD '${values[ad]}' is not a list of depths (0 to ${MAXIMUM_DEPTH})`);
          depths.push(d);
          if (depths.length > alternates.length + 1) break;
        }
        if (depths.length > alternates.length + 1) {
          const count = values[ad].split(",").length;
          throw error(`sample ${s + 1}'s AD has ${count} values; REF and ${alternates.length} ALT allele${alternates.length === 1 ? "" : "s"} need ${alternates.length + 1}`);
        }
        if (depths.length === 1 && alternates.length === 1 && alternates[0] === ".") depths.push(0);
        call.alleleDepths = depths.length === alternates.length + 1 ? depths : null;
      }
      if (dp >= 0 && dp < values.length && values[dp] !== ".") {
        const d = swiftInt(values[dp]);
        if (d === null || d < 0 || d > MAXIMUM_DEPTH) throw error(`DP '${values[dp]}' is not a depth (0 to ${MAXIMUM_DEPTH})`);
        call.depth = d;
      }
      calls.push(call);
    }
  }
  return { line: number, chrom: fields[0], position, ref, alternates, filters, info: fields[7], calls,
    passed: filters.length === 0 || (filters.length === 1 && filters[0] === "PASS") };
}

/** VCF.genotype: allele indices (null for '.'), [] without a genotype. */
function vcfGenotype(text, alleles, error) {
  if (text === "." || text === "") return [];
  const out = [];
  for (const part of text.split(/[/|]/)) {
    if (part === "") continue;
    if (part === ".") { out.push(null); continue; }
    const index = swiftInt(part);
    if (index === null || index < 0 || index > alleles) {
      throw error(`GT '${text}' names allele ${part}, but the record has ${alleles} ALT allele${alleles === 1 ? "" : "s"}`);
    }
    out.push(index);
  }
  return out;
}

/** VCFCall.alleleFraction: the share of AD for ALT `alt` (1-based), or null. */
function callFraction(call, alt) {
  const ad = call.alleleDepths;
  if (ad === null || alt >= ad.length) return null;
  const total = ad.reduce((a, b) => a + b, 0);
  return total > 0 ? ad[alt] / total : null;
}

/** The value of an INFO key (null when absent, "" for a flag). */
function infoValue(info, key) {
  for (const field of info.split(";")) {
    if (field === "") continue;
    const eq = field.indexOf("=");
    if (eq >= 0) { if (field.slice(0, eq) === key) return field.slice(eq + 1); } else if (field === key) return "";
  }
  return null;
}

/** VCFSamples: the samples of a VCF built record by record. */
class TBSamples {
  constructor(reader, header, file, includeFiltered) {
    reader.checkContigs(header, file);
    this.reader = reader; this.file = file; this.includeFiltered = includeFiltered;
    const names = header.sampleNames.length <= 1 ? [tbSampleName(file)] : header.sampleNames;
    this.inputs = names.map((id) => ({ id, variants: [], notes: [] }));
    this.filtered = 0; this.noGenotype = 0; this.symbolic = 0;
  }

  add(record) {
    const reader = this.reader, file = this.file;
    if (!reader.contigNames.has(record.chrom)) {
      throw new TriageInputError(file, record.line, `CHROM '${record.chrom}' is not H37Rv (${reader.accession}); the VCF is on another reference`);
    }
    const problem = reader.refProblem(record.position, record.ref);
    if (problem !== null) throw new TriageInputError(file, record.line, problem);
    if (!record.passed && !this.includeFiltered) { this.filtered++; return; }
    if (!reader.inRegion(record.position)) return;
    record.alternates.forEach((alt, index) => {
      if (alt === ".") return;
      if (!Array.from(alt).every((c) => c.length === 1 && isNucleotide(c.charCodeAt(0)))) { this.symbolic++; return; }
      const named = reader.annotator.annotate(record.position, record.ref, alt);
      if (named.length === 0) return;
      const allele = index + 1;
      for (let s = 0; s < this.inputs.length; s++) {
        let fraction = 1;
        if (record.calls.length > 0) {
          const call = record.calls[s];
          if (call.genotype.length > 0) {
            if (call.genotype.every((g) => g === null)) { this.noGenotype++; continue; }
            if (!call.genotype.includes(allele)) continue;
            const copies = call.genotype.filter((g) => g === allele).length;
            fraction = callFraction(call, allele) ?? copies / call.genotype.length;
          } else {
            const f = callFraction(call, allele);
            if (f !== null) { fraction = f; if (fraction === 0) continue; }
          }
        } else {
          const af = infoValue(record.info, "AF");
          if (af !== null) {
            const values = af.split(",");
            if (values.length !== record.alternates.length) {
              throw new TriageInputError(file, record.line, `INFO AF has ${values.length} values for ${record.alternates.length} ALT allele(s)`);
            }
            if (values[index] !== ".") {
              const f = decimalNumber(values[index]);
              if (f === null || f < 0 || f > 1) throw new TriageInputError(file, record.line, `INFO AF '${values[index]}' is not an allele fraction between 0 and 1`);
              fraction = f;
            }
          }
        }
        const call = record.calls[s];
        const depth = record.calls.length === 0 ? null : call.depth ?? (call.alleleDepths === null ? null : call.alleleDepths.reduce((a, b) => a + b, 0));
        for (const variant of named) {
          this.inputs[s].variants.push({ variant: { ...variant, synonyms: variant.synonyms.slice() }, alleleFraction: fraction, position: String(record.position), depth });
        }
      }
    });
  }

  finish(headerOnly) {
    if (headerOnly) {
      throw new TriageInputError(this.file, null, "the VCF has a header but no data lines: no variant was called, so resistance cannot be told from susceptibility (was the calling step empty?)");
    }
    for (const input of this.inputs) {
      if (this.filtered > 0) input.notes.push(`${this.filtered} record(s) not PASS were skipped (keep them by including filtered records)`);
      if (this.noGenotype > 0) input.notes.push(`${this.noGenotype} call(s) without a genotype (./.) were skipped`);
      if (this.symbolic > 0) input.notes.push(`${this.symbolic} symbolic ALT allele(s) (<DEL>, *) were skipped`);
    }
    return this.inputs;
  }
}

/** Catalogue.swift + CataloguePredictor.swift: the WHO-style calls the model reads as features. */
class TBCatalogue {
  constructor(json) {
    if (json === null || typeof json !== "object" || !Array.isArray(json.entries) || json.entries.length > 1 << 20) fail("catalogue.entries must be a list");
    if (typeof json.minFraction !== "number" || !(json.minFraction >= 0 && json.minFraction <= 1)) fail("catalogue.minFraction must be a number in [0, 1]");
    this.name = String(json.name ?? "");
    this.minimumFraction = json.minFraction;
    this.byName = new Map(); this.byEffect = new Map();
    const drugs = new Set();
    json.entries.forEach((e, i) => {
      if (!Array.isArray(e) || e.length !== 5 || !e.every((x, k) => (k === 3 ? Number.isInteger(x) && x >= 1 && x <= 5 : typeof x === "string"))) {
        fail(`catalogue.entries[${i}] must be [gene, change, drug, grading 1-5, comment]`);
      }
      const entry = { gene: e[0], change: e[1], drug: e[2], grading: e[3], comment: e[4] };
      drugs.add(entry.drug);
      const key = `${entry.gene} ${entry.change}`;
      if (LOSS_OF_FUNCTION.has(entry.change)) {
        const list = this.byEffect.get(key) ?? [];
        const k = list.findIndex((x) => x.drug === entry.drug);
        if (k >= 0) { if (entry.grading < list[k].grading) list[k] = entry; } else list.push(entry);
        this.byEffect.set(key, list);
      } else {
        const list = this.byName.get(key) ?? [];
        list.push(entry);
        this.byName.set(key, list);
      }
    });
    this.drugs = [...drugs].sort(compareStrings);
  }

  entries(gene, change, effect) {
    const found = (this.byName.get(`${gene} ${change}`) ?? []).slice();
    const normalized = effect === "frameshift" ? "frameshift_variant" : effect;
    if (LOSS_OF_FUNCTION.has(normalized)) {
      for (const rule of this.byEffect.get(`${gene} ${normalized}`) ?? []) if (!found.some((x) => x.drug === rule.drug)) found.push(rule);
    }
    return found;
  }

  /** Per drug R, U or S (CataloguePredictor.predict without its evidence list). */
  calls(variants) {
    const evidence = new Map(), lostFunction = new Set(), abrogated = new Map();
    for (const item of variants) {
      if (!(item.alleleFraction >= this.minimumFraction)) continue;
      const v = item.variant;
      if (LOSS_OF_FUNCTION.has(v.effect === "frameshift" ? "frameshift_variant" : v.effect)) lostFunction.add(v.gene.toLowerCase());
      let entries = this.entries(v.gene, v.change, v.effect);
      if (entries.length === 0) {
        for (const synonym of v.synonyms) { entries = this.entries(v.gene, synonym, v.effect); if (entries.length > 0) break; }
      }
      for (const entry of entries) {
        const gene = abrogatedGene(entry.comment);
        if (gene !== null) { if (!abrogated.has(entry.drug)) abrogated.set(entry.drug, new Set()); abrogated.get(entry.drug).add(gene); }
        if (entry.grading <= 3) { if (!evidence.has(entry.drug)) evidence.set(entry.drug, []); evidence.get(entry.drug).push(entry); }
      }
    }
    const out = new Map();
    for (const drug of this.drugs) {
      let best = null;
      for (const entry of evidence.get(drug) ?? []) {
        if (epistasis(entry, lostFunction, abrogated.get(drug) ?? new Set()) !== null) continue;
        if (best === null || entry.grading < best) best = entry.grading;
      }
      out.set(drug, best === null ? "S" : best <= 2 ? "R" : "U");
    }
    return out;
  }
}

function epistasis(entry, lostFunction, abrogated) {
  if (entry.grading > 2) return null;
  const prefix = "Can only confer resistance if genetically linked to a functional ";
  if (entry.comment.startsWith(prefix)) {
    const partner = entry.comment.slice(prefix.length).trim();
    if (lostFunction.has(partner.toLowerCase())) return `cancelled: ${partner} has lost its function`;
  }
  if (abrogated.has(entry.gene.toLowerCase()) && !LOSS_OF_FUNCTION.has(entry.change)) return `cancelled: a loss of function of ${entry.gene} abrogates it`;
  return null;
}

function abrogatedGene(comment) {
  const prefix = "Abrogates effect of genetically linked AwR and AwRI ";
  if (!comment.startsWith(prefix)) return null;
  const word = comment.slice(prefix.length).split(" ").find((w) => w !== "");
  return word === undefined ? null : word.toLowerCase();
}

/** CataloguePredictor.resistanceClass: the WHO 2021 class from the calls. */
function resistanceClass(drugs) {
  const r = (d) => drugs[d]?.call === "R";
  const untold = (d) => drugs[d]?.call === "not covered";
  const rif = r("Rifampicin"), inh = r("Isoniazid"), fq = r("Levofloxacin") || r("Moxifloxacin"), groupA = r("Bedaquiline") || r("Linezolid");
  if (rif) return fq ? (groupA ? "XDR-TB" : "Pre-XDR-TB") : inh ? "MDR-TB" : "RR-TB";
  if (untold("Rifampicin")) return "Undetermined";
  if (inh) return "Hr-TB";
  if (Object.values(drugs).some((c) => c.call === "R")) return "Other";
  return untold("Isoniazid") ? "Undetermined" : "Sensitive";
}

/** A learned TB resistance model (ResistanceModel.swift, wdnn or wdnn+catalogue) with the reference it reads VCFs on. */
class TBResistanceModel {
  constructor(config, buffer) {
    if (!Array.isArray(config.drugs) || config.drugs.length < 1 || config.drugs.length > 64 || !config.drugs.every((d) => typeof d === "string")
        || new Set(config.drugs).size !== config.drugs.length) fail("drugs must be 1 to 64 distinct names");
    if (!Array.isArray(config.vocabulary) || config.vocabulary.length < 2 || config.vocabulary.length > 1 << 22 || !config.vocabulary.every((w) => typeof w === "string")) {
      fail("vocabulary must be a list of at least 2 tokens");
    }
    const t = config.thresholds;
    if (t === null || typeof t !== "object" || !Object.values(t).every((x) => typeof x === "number" && x >= 0 && x <= 1)) fail("thresholds must map drugs to numbers in [0, 1]");
    if (typeof config.minFraction !== "number" || !(config.minFraction >= 0 && config.minFraction <= 1)) fail("minFraction must be a number in [0, 1]");
    const n = config.network;
    const k = config.drugs.length, v = config.vocabulary.length;
    if (n === null || typeof n !== "object" || n.vocabulary !== v || n.drugs !== k || !Number.isInteger(n.embedding) || n.embedding < 1 || n.embedding > 4096
        || !Number.isInteger(n.hidden) || n.hidden < 1 || n.hidden > 4096) {
      fail("network must give the vocabulary and drug counts of the model and embedding and hidden sizes of 1...4096");
    }
    const tensors = readTensors(config.weights, buffer);
    const take = (name, shape) => {
      const x = tensors.get(name);
      if (!x) fail(`the weights lack ${name} (file truncated or from another version)`);
      if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) fail(`${name} has shape [${x.shape}], the network needs [${shape}]`);
      tensors.delete(name);
      return x.data;
    };
    const d = n.embedding, h = n.hidden;
    this.wide = take("wide.0.weight", [v, k]);
    this.embedding = take("deep.0.weight", [v, d]);
    this.hiddenWeight = take("deep.2.weight", [h, d]); this.hiddenBias = take("deep.2.bias", [h]);
    this.outputWeight = take("deep.5.weight", [k, h]); this.outputBias = take("deep.5.bias", [k]);
    if (tensors.size > 0) fail(`tensor ${[...tensors.keys()][0]} is not part of the wide & deep network`);
    this.d = d; this.h = h;
    const ref = config.reference;
    if (ref === null || typeof ref !== "object" || !Array.isArray(ref.genes) || ref.genes.length < 1 || !Array.isArray(ref.aliasGenes)
        || !Array.isArray(ref.contigNames) || typeof ref.accession !== "string" || !Number.isInteger(ref.genomeLength)
        || !Number.isInteger(ref.upstreamWindow) || ref.upstreamWindow < 0 || ref.upstreamWindow > 100000 || !Number.isInteger(ref.longDeletion)) {
      fail("reference must hold the genes, alias genes, contig names, accession, genome length and naming windows");
    }
    const seq = ref.sequence;
    if (seq === null || typeof seq !== "object" || seq.encoding !== "2bit-ACGT" || !Number.isInteger(seq.bases) || seq.bases < 1 || seq.bases > 1 << 28
        || !Number.isInteger(seq.offset) || seq.offset < 0 || seq.offset + Math.ceil(seq.bases / 4) > buffer.byteLength) {
      fail("reference.sequence must be 2-bit ACGT bases inside the weights file (truncated or another model's?)");
    }
    const packed = new Uint8Array(buffer, seq.offset, Math.ceil(seq.bases / 4));
    const genome = new Uint8Array(seq.bases), letters = [B_A, B_C, B_G, B_T];
    for (let i = 0; i < seq.bases; i++) genome[i] = letters[(packed[i >> 2] >> ((i & 3) * 2)) & 3];
    this.reader = new TBReader(ref, genome);
    this.catalogue = config.catalogue == null ? null : new TBCatalogue(config.catalogue);
    this.kind = TB_KIND;
    this.name = String(config.name ?? "");
    this.task = "tb-resistance";
    this.architecture = String(config.architecture ?? (this.catalogue ? "wdnn+catalogue" : "wdnn"));
    this.drugs = config.drugs.slice();
    this.classes = this.drugs;
    this.thresholds = { ...t };
    this.minimumFraction = config.minFraction;
    this.vocabulary = config.vocabulary;
    this.index = new Map();
    config.vocabulary.forEach((w, i) => this.index.set(w, i));
  }

  /** ResistanceModel.features: the token names of one variant. */
  static features(v) {
    const names = [`${v.variant.gene} ${v.variant.change}`];
    const effect = v.variant.effect === "frameshift" ? "frameshift_variant" : v.variant.effect;
    if (LOSS_OF_FUNCTION.has(effect)) names.push(`${v.variant.gene} LoF`);
    if (!v.variant.effect.startsWith("synonymous")) names.push(`${v.variant.gene} ?`);
    return names;
  }

  /** ResistanceModel.tokens: token ids of an isolate's variants (1 first: the isolate itself). */
  tokens(variants) {
    const ids = [1], seen = new Set([1]);
    for (const v of variants) {
      if (!(v.alleleFraction >= this.minimumFraction)) continue;
      const names = TBResistanceModel.features(v);
      const known = this.index.get(names[0]);
      names.forEach((name, k) => {
        if (k === names.length - 1 && name.endsWith(" ?") && known !== undefined) return;
        if (k === 0 && known === undefined) return;
        const id = this.index.get(name);
        if (id !== undefined && !seen.has(id)) { seen.add(id); ids.push(id); }
      });
    }
    return ids;
  }

  /** The variants the network reads: with a `catalogue:<drug> R|U` pseudo-variant per drug the catalogue calls. */
  inputs(variants) {
    if (this.catalogue === null) return variants;
    const out = variants.slice();
    for (const [drug, call] of [...this.catalogue.calls(variants)].sort((a, b) => compareStrings(a[0], b[0]))) {
      if (call !== "S") out.push({ variant: { gene: `catalogue:${drug}`, change: call, effect: "catalogue_call", synonyms: [], alias: null }, alleleFraction: 1, position: "", depth: null });
    }
    return out;
  }

  /** Logits (K) of one token row: max-pooled wide scores plus the deep part (embedding mean, dense, ReLU, dense). */
  logits(ids) {
    const k = this.drugs.length, d = this.d, h = this.h;
    const out = new Float64Array(k), mean = new Float64Array(d);
    for (let j = 0; j < k; j++) out[j] = this.wide[ids[0] * k + j];
    for (const id of ids) {
      for (let j = 0; j < k; j++) { const w = this.wide[id * k + j]; if (w > out[j]) out[j] = w; }
      for (let c = 0; c < d; c++) mean[c] += this.embedding[id * d + c];
    }
    for (let c = 0; c < d; c++) mean[c] /= ids.length;
    const hidden = relu(dense(mean, d, this.hiddenWeight, this.hiddenBias, h));
    const deep = dense(hidden, h, this.outputWeight, this.outputBias, k);
    for (let j = 0; j < k; j++) out[j] += deep[j];
    return out;
  }

  /** Whether a logit reaches a drug's threshold (a probability; see the departure noted above). */
  reaches(logit, drug) {
    const t = this.thresholds[drug] ?? 0.5;
    if (t <= 0) return true;
    if (t >= 1) return sigmoid(logit) >= 1;
    const tl = Math.log(t / (1 - t));
    return logit >= tl - 2e-5 * Math.max(1, Math.abs(tl));
  }

  /** Predictions for samples [{id, variants}] as `triage resist --model --json` prints them. */
  predict(samples) {
    const k = this.drugs.length;
    const rows = samples.map((s) => this.tokens(this.inputs(s.variants)));
    const left = [];
    samples.forEach((s, i) => {
      s.variants.forEach((v, j) => {
        if (!(v.alleleFraction >= this.minimumFraction)) return;
        if (this.catalogue !== null) left.push({ row: i, variant: j, ids: this.tokens(this.inputs(s.variants.filter((_, x) => x !== j))) });
      });
    });
    // A model without a catalogue leaves out tokens, not variants (ResistanceModel.predict).
    const tokenLeft = [];
    if (this.catalogue === null) {
      rows.forEach((row, i) => { for (let t = 1; t < row.length; t++) tokenLeft.push({ row: i, token: row[t], ids: row.filter((_, x) => x !== t) }); });
    }
    const logitsOf = rows.map((r) => this.logits(r));
    const out = [];
    samples.forEach((s, i) => {
      const drops = Array.from({ length: k }, () => []);
      const base = logitsOf[i];
      if (this.catalogue !== null) {
        for (const item of left) {
          if (item.row !== i) continue;
          const l = this.logits(item.ids);
          for (let j = 0; j < k; j++) {
            const drop = sigmoid(base[j]) - sigmoid(l[j]);
            if (drop > 0.01) { const v = s.variants[item.variant]; drops[j].push({ drop, gene: v.variant.gene, change: v.variant.change, alleleFraction: v.alleleFraction }); }
          }
        }
      } else {
        for (const item of tokenLeft) {
          if (item.row !== i) continue;
          const l = this.logits(item.ids);
          for (let j = 0; j < k; j++) {
            const drop = sigmoid(base[j]) - sigmoid(l[j]);
            if (drop > 0.01) {
              const name = this.vocabulary[item.token], cut = name.indexOf(" ");
              drops[j].push({ drop, gene: cut < 0 ? name : name.slice(0, cut), change: cut < 0 ? "" : name.slice(cut).trim(), alleleFraction: 1 });
            }
          }
        }
      }
      const calls = {};
      for (const j of this.drugs.map((_, x) => x).sort((a, b) => compareStrings(this.drugs[a], this.drugs[b]))) {
        const drug = this.drugs[j];
        const evidence = drops[j].slice().sort((a, b) => b.drop - a.drop).slice(0, 3).map((e) => ({
          alleleFraction: e.alleleFraction, change: e.change, gene: e.gene, grading: `model: -${e.drop.toFixed(2)} without it`,
        }));
        calls[drug] = { call: this.reaches(base[j], drug) ? "R" : "S", evidence, probability: sigmoid(base[j]) };
      }
      out.push({ drugs: calls, resistanceClass: resistanceClass(calls), sample: s.id, variants: s.variants.length });
    });
    return out;
  }

  /** The samples of a VCF as the model reads them: id, variants, notes (what `resist` prints on stderr). */
  readVCF(vcf, options = {}) {
    return this.reader.samples(vcf, String(options.file ?? "sample.vcf"), Boolean(options.includeFiltered));
  }

  /** `triage resist --model M --json` of one VCF (text or bytes): one object per sample. */
  resist(vcf, options = {}) { return this.predict(this.readVCF(vcf, options)); }
}

// MARK: - Loading

/** A model from its parsed model.json and the bytes of its weights file (an ArrayBuffer). */
function modelFromData(config, weights, options = {}) {
  if (config === null || typeof config !== "object" || Array.isArray(config)) fail("model.json must hold an object");
  if (config.format !== FORMAT) fail(`model.json is "${String(config.format).slice(0, 40)}", not a Triage web model (${FORMAT}); export one with \`triage export web\``);
  if (!SUPPORTED_KINDS.includes(config.kind)) {
    fail(`a ${String(config.kind).slice(0, 20)} model is not supported by this runtime (supported: ${SUPPORTED_KINDS.join(", ")})`);
  }
  if (!(weights instanceof ArrayBuffer)) fail("the weights must be an ArrayBuffer");
  if (config.kind === "image") return new ImageModel(config, weights, options);
  if (config.kind === TB_KIND) return new TBResistanceModel(config, weights);
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
async function loadModel(dir, options = {}) {
  let config;
  try { config = JSON.parse(await readModelFile(dir, "model.json", true)); } catch (error) {
    if (error instanceof TriageModelError) throw error;
    fail(`${dir}/model.json cannot be read as JSON: ${error.message}`);
  }
  if (config === null || typeof config !== "object" || config.weights === null || typeof config.weights !== "object"
      || typeof config.weights.file !== "string" || !/^[A-Za-z0-9._-]{1,100}$/.test(config.weights.file) || config.weights.file.startsWith(".")) {
    fail(`${dir}/model.json does not name its weights file (a plain file name in the folder)`);
  }
  return modelFromData(config, await readModelFile(dir, config.weights.file, false), options);
}

// MARK: - Exports (the offline page's worker runs everything above this line as a classic script)
export { loadModel, modelFromData, base64Bytes, TriageModelError, TextPreparation, UnicodeTables, tokensOf, ngramBucket, SUPPORTED_KINDS,
  TriageInputError, TBResistanceModel };
export { ImageModel, imageSamples, flippedImage };
