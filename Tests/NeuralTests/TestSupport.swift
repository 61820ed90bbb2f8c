import XCTest
@testable import Neural
import TestSupport

/// A reproducible tensor of uniform values in [-scale, scale].
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = SplitMix64(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor(shape: shape, values: (0..<n).map { _ in Float(rng.nextUniform() * 2 - 1) * scale })
}

/// Finite-difference check of a layer's backward: loss = sum(output * R) for a fixed random R.
/// Checks dInput (unless `checkInput` is false) and every parameter's gradient on up to
/// `samples` entries each, with central differences of step `eps`.
func checkGradients(_ layer: Layer, input: Tensor, training: Bool = false, checkInput: Bool = true,
                    eps: Float = 1e-2, samples: Int = 24, rtol: Float = 2e-2, atol: Float = 2e-3,
                    file: StaticString = #filePath, line: UInt = #line) {
    layer.needsInputGradient = checkInput
    let y0 = layer.forward(input, training: training)
    let r = randomTensor(y0.shape, seed: 99)
    func loss() -> Double {
        let y = layer.forward(input, training: training)
        var s = 0.0
        for i in 0..<y.count { s += Double(y.pointer[i]) * Double(r.pointer[i]) }
        return s
    }
    layer.zeroGradients()
    _ = layer.forward(input, training: training)
    let dInput = layer.backward(r).clone()
    let analytic = layer.parameters.map { $0.gradient.clone() }

    func numeric(_ t: Tensor, _ i: Int) -> Float {
        let old = t.pointer[i]
        t.pointer[i] = old + eps
        let up = loss()
        t.pointer[i] = old - eps
        let down = loss()
        t.pointer[i] = old
        return Float((up - down) / Double(2 * eps))
    }
    func indices(_ n: Int) -> [Int] {
        if n <= samples { return Array(0..<n) }
        var rng = SplitMix64(seed: UInt64(n))
        return (0..<samples).map { _ in Int(rng.next() % UInt64(n)) }
    }
    if checkInput {
        let idx = indices(input.count)
        assertClose(idx.map { dInput.pointer[$0] }, idx.map { numeric(input, $0) }, rtol: rtol, atol: atol,
                    "\(type(of: layer)) dInput", file: file, line: line)
    }
    for (p, g) in zip(layer.parameters, analytic) {
        let idx = indices(p.value.count)
        assertClose(idx.map { g.pointer[$0] }, idx.map { numeric(p.value, $0) }, rtol: rtol, atol: atol,
                    "\(type(of: layer)) d\(p.name)", file: file, line: line)
    }
}

/// Runs `layer` and `reference` (the same computation by another method) forward and backward on
/// `input` and asserts equal outputs, input gradients and parameter gradients.
func assertSameComputation(_ layer: Layer, _ reference: Layer, input: Tensor, gradientSeed: UInt64,
                           _ what: String, rtol: Float = 1e-4, atol: Float = 1e-5,
                           file: StaticString = #filePath, line: UInt = #line) {
    let y = layer.forward(input, training: true).clone(), yRef = reference.forward(input, training: true)
    XCTAssertEqual(y.shape, yRef.shape, "\(what) output shape", file: file, line: line)
    assertClose(y.array, yRef.array, rtol: rtol, atol: atol, "\(what) output", file: file, line: line)
    let dy = randomTensor(y.shape, seed: gradientSeed)
    let dx = layer.backward(dy).clone(), dxRef = reference.backward(dy)
    assertClose(dx.array, dxRef.array, rtol: rtol, atol: atol, "\(what) dX", file: file, line: line)
    for ((name, p), (_, q)) in zip(layer.namedParameters, reference.namedParameters) {
        assertClose(p.gradient.array, q.gradient.array, rtol: rtol, atol: 10 * atol, "\(what) d\(name)", file: file, line: line)
    }
}
