// Legend used across Neural (shapes are written in these letters):
//   B batch, T time steps, L length, C channels / input features, F filters / output features,
//   H hidden size (LSTM) or image height, W image width, K kernel width, V vocabulary, D embedding size.
// Every tensor is Float32, contiguous and row-major; sequences are batch-first (B, T, C) and
// images channels-last (B, H, W, C).

/// A Float32 tensor: contiguous, row-major, with an explicit shape.
///
/// The buffer only grows: `resize` reuses it, so layers that keep their output tensors
/// allocate nothing once a training step has run at its largest batch size.
public final class Tensor: @unchecked Sendable {
    /// The size of each axis, outermost first.
    public private(set) var shape: [Int]
    /// The number of elements (product of `shape`).
    public private(set) var count: Int
    /// The allocated number of elements (>= count).
    public private(set) var capacity: Int
    /// The first element. Valid for `count` elements until the next `resize`.
    public private(set) var pointer: UnsafeMutablePointer<Float>
    /// For sequences (B, T, ...): the valid length of each of the B rows, or nil when all are full.
    /// Embedding sets it from the padding index; LSTM and global pooling respect it.
    public var lengths: [Int]?

    /// A tensor of zeros.
    public init(shape: [Int]) {
        self.shape = shape
        count = Tensor.elementCount(shape)
        capacity = Swift.max(count, 1)
        pointer = .allocate(capacity: capacity)
        pointer.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        require(values.count == count, "Tensor of shape \(shape) needs \(count) values, got \(values.count).")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: count) }
        }
    }

    /// A tensor with every element equal to `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        fill(value)
    }

    /// An empty tensor (shape [0]).
    public convenience init() { self.init(shape: [0]) }

    /// The shared empty tensor that `backward` returns when no input gradient was asked for.
    /// Never write to it.
    public static let none = Tensor()

    deinit { pointer.deallocate() }

    /// Sets the shape, reusing the buffer when it is large enough. Contents are unspecified after a grow.
    public func resize(_ newShape: [Int]) {
        if newShape == shape { return }
        let n = Tensor.elementCount(newShape)
        if n > capacity {
            pointer.deallocate()
            capacity = n
            pointer = .allocate(capacity: n)
            pointer.initialize(repeating: 0, count: n)
        }
        shape = newShape
        count = n
    }

    /// The number of elements of `shape`, checked: no negative axis, no overflow (this module is
    /// built -Ounchecked, where `*` would wrap).
    static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for axis in shape {
            require(axis >= 0, "Tensor shape \(shape) has a negative axis.")
            let (product, overflow) = n.multipliedReportingOverflow(by: axis)
            require(!overflow, "Tensor shape \(shape) has more elements than memory can hold.")
            n = product
        }
        return n
    }

    /// Whether every element is a finite number (no NaN, no infinity).
    public var isFinite: Bool {
        for i in 0..<count where !pointer[i].isFinite { return false }
        return true
    }

    /// Changes the shape without touching the data (same element count).
    public func reshape(_ newShape: [Int]) {
        let n = Tensor.elementCount(newShape)
        require(n == count, "Cannot reshape \(shape) (\(count) elements) to \(newShape) (\(n) elements).")
        shape = newShape
    }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Resizes to `other`'s shape and copies its values and lengths.
    public func copy(from other: Tensor) {
        resize(other.shape)
        pointer.update(from: other.pointer, count: count)
        lengths = other.lengths
    }

    /// A new tensor with the same shape, values and lengths.
    public func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.pointer.update(from: pointer, count: count)
        t.lengths = lengths
        return t
    }

    /// The elements as an array (row-major).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The elements as a mutable buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// Element `i` of the flat row-major storage.
    public subscript(i: Int) -> Float {
        get { require(i >= 0 && i < count, "Index \(i) is outside a tensor of \(count) elements."); return pointer[i] }
        set { require(i >= 0 && i < count, "Index \(i) is outside a tensor of \(count) elements."); pointer[i] = newValue }
    }

    /// Size of the first axis (the batch), 0 for a scalar shape.
    public var rows: Int { shape.first ?? 0 }

    /// Elements per row of the first axis.
    public var rowSize: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// A (B, T) tensor of token ids (stored exactly as Float up to 2^24) from rows of Int32 ids,
    /// right-padded with `padding` to `length` (default: the longest row; longer rows are cut).
    public static func tokens(_ rows: [[Int32]], length: Int? = nil, padding: Int32 = 0) -> Tensor {
        let t = length ?? rows.map(\.count).max() ?? 0
        let out = Tensor(shape: [rows.count, t], repeating: Float(padding))
        for (b, row) in rows.enumerated() {
            for (i, id) in row.prefix(t).enumerated() { out.pointer[b * t + i] = Float(id) }
        }
        out.lengths = rows.map { Swift.min($0.count, t) }
        return out
    }

    /// A (B, C) tensor from rows of floats; all rows must have the same size.
    public static func matrix(_ rows: [[Float]]) -> Tensor {
        let c = rows.first?.count ?? 0
        require(rows.allSatisfy { $0.count == c }, "Tensor.matrix needs rows of equal size.")
        return Tensor(shape: [rows.count, c], values: rows.flatMap { $0 })
    }

    /// Copies rows `indices` of `source` (along axis 0) into this tensor, resizing it.
    public func gatherRows(of source: Tensor, _ indices: [Int]) {
        var s = source.shape
        require(!s.isEmpty, "gatherRows needs a tensor with a batch axis.")
        let rs = source.rowSize
        s[0] = indices.count
        resize(s)
        for (i, r) in indices.enumerated() {
            require(r >= 0 && r < source.rows, "Row \(r) is outside a batch of \(source.rows).")
            (pointer + i * rs).update(from: source.pointer + r * rs, count: rs)
        }
        lengths = source.lengths.map { l in indices.map { l[$0] } }
    }
}

/// A trainable tensor with its gradient. Gradients accumulate (`+=`) until `zeroGradient`.
///
/// A parameter made with `sparseRows: true` has a sparse gradient: its layer records in
/// `touchedRows` the rows (first axis) its backward passes wrote, every other row of `gradient`
/// is zero, and `zeroGradient`, `clipGradientNorm` and the optimizers visit the touched rows only.
public final class Parameter: @unchecked Sendable {
    /// The name inside its layer ("weight", "bias"); containers prefix it ("0.weight").
    public let name: String
    /// The current value.
    public let value: Tensor
    /// The accumulated gradient of the loss with respect to `value` (same shape).
    public let gradient: Tensor
    /// A frozen parameter is neither updated by optimizers nor given a gradient by its layer.
    public var frozen = false
    /// For a sparse gradient, the rows written since the last `zeroGradient`; nil for a dense one.
    public let touchedRows: RowSet?

    /// A parameter holding `value`, with a zero gradient of the same shape (sparse by rows of
    /// the first axis when `sparseRows`).
    public init(_ name: String, _ value: Tensor, sparseRows: Bool = false) {
        self.name = name
        self.value = value
        gradient = Tensor(shape: value.shape)
        touchedRows = sparseRows ? RowSet(count: value.rows) : nil
    }

    /// Sets the gradient to zero (a sparse one: its touched rows, then forgets them).
    public func zeroGradient() {
        guard let touched = touchedRows else { gradient.zero(); return }
        let width = gradient.rowSize
        for r in touched.rows { (gradient.pointer + r * width).update(repeating: 0, count: width) }
        touched.removeAll()
    }

    /// Calls `body` with each range of the flat storage whose gradient may be non-zero: the whole
    /// tensor when dense, one range per touched row (in the order first touched) when sparse.
    public func forEachGradientRange(_ body: (Range<Int>) -> Void) {
        guard let touched = touchedRows else { body(0..<gradient.count); return }
        let width = gradient.rowSize
        for r in touched.rows { body((r * width)..<(r * width + width)) }
    }
}

/// A set of row indices in `0..<count`, kept in the order first inserted; insert and clear cost
/// the rows held, not `count`.
public final class RowSet: @unchecked Sendable {
    /// The rows, in the order first inserted.
    public private(set) var rows: [Int] = []
    private var member: [Bool]

    /// An empty set of rows below `count`.
    public init(count: Int) { member = [Bool](repeating: false, count: count) }

    /// Adds `row` (once).
    @inline(__always) public func insert(_ row: Int) {
        if !member[row] { member[row] = true; rows.append(row) }
    }

    /// Whether `row` is in the set.
    public func contains(_ row: Int) -> Bool { member[row] }

    /// Empties the set.
    public func removeAll() {
        for r in rows { member[r] = false }
        rows.removeAll(keepingCapacity: true)
    }
}
