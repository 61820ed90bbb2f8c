import Foundation
import XCTest
@testable import Neural
import TestSupport

/// The C element-wise kernels (AVX-512 / AVX2 / baseline clones) against the Swift SIMD
/// versions beside them, and the vector exp against libm.
final class KernelTests: XCTestCase {
    func testVectorExpIsAccurateToAFewUlp() {
        var worst: Double = 0
        for i in 0..<4000 {
            let x = Float(i - 2000) / 25  // -80 ... 80
            let e = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(sexp(x)) - e) / e)
        }
        XCTAssertLessThan(worst, 1e-6)
        XCTAssertEqual(sexp(-1000), sexp(-87.3), "clamped below")
    }

    func testLSTMCellKernelsMatchTheSwiftOracle() {
        for n in [5, 16, 37, 128] {
            let z = randomTensor([4 * n], seed: UInt64(n), scale: 4), cPrev = randomTensor([n], seed: 2)
            let z1 = z.clone(), z2 = z.clone()
            let c1 = Tensor(shape: [n]), c2 = Tensor(shape: [n]), t1 = Tensor(shape: [n]), t2 = Tensor(shape: [n])
            let h1 = Tensor(shape: [n]), h2 = Tensor(shape: [n])
            LSTM.cellForward(z1.pointer, cPrev: cPrev.pointer, c: c1.pointer, tanhC: t1.pointer, h: h1.pointer, hidden: n)
            Vec.lstmCellForward(z2.pointer, cPrev: cPrev.pointer, c: c2.pointer, tanhC: t2.pointer, h: h2.pointer, hidden: n)
            for (a, b) in [(z1, z2), (c1, c2), (t1, t2), (h1, h2)] { assertClose(b.array, a.array, rtol: 1e-5, atol: 1e-6, "forward n=\(n)") }
            let dh1 = randomTensor([n], seed: 5), dc1 = randomTensor([n], seed: 6)
            let dh2 = dh1.clone(), dc2 = dc1.clone(), dz1 = Tensor(shape: [4 * n]), dz2 = Tensor(shape: [4 * n])
            LSTM.cellBackward(z1.pointer, dz: dz1.pointer, cPrev: nil, tanhC: t1.pointer, dh: dh1.pointer, dc: dc1.pointer, hidden: n)
            Vec.lstmCellBackward(z1.pointer, dz: dz2.pointer, cPrev: nil, tanhC: t1.pointer, dh: dh2.pointer, dc: dc2.pointer, hidden: n)
            for (a, b) in [(dz1, dz2), (dh1, dh2), (dc1, dc2)] { assertClose(b.array, a.array, rtol: 1e-5, atol: 1e-6, "backward n=\(n)") }
        }
    }

    func testSigmoidAndTanhKernels() {
        let x = randomTensor([1000], seed: 8, scale: 10), y = Tensor(shape: [1000])
        Vec.sigmoid(x.pointer, y.pointer, 1000)
        assertClose(y.array, x.array.map { Float(1 / (1 + Foundation.exp(-Double($0)))) }, rtol: 1e-6, atol: 1e-7, "sigmoid")
        Vec.tanh(x.pointer, y.pointer, 1000)
        assertClose(y.array, x.array.map { Float(Foundation.tanh(Double($0))) }, rtol: 1e-5, atol: 2e-7, "tanh")
    }

    func testSmallGemmKernelMatchesOpenBLAS() {
        for (m, n, k) in [(37, 70, 50), (32, 512, 128), (6, 32, 1), (1, 100, 3), (11, 64, 96), (9, 32, 256), (4, 32, 7), (2, 64, 5)] {
            let a = randomTensor([m, k + 3], seed: 1), b = randomTensor([k, n + 5], seed: 2)
            let c0 = randomTensor([m, n + 2], seed: 3), c1 = c0.clone(), c2 = c0.clone()
            Vec.gemmAccumulate(m: m, n: n, k: k, a: a.pointer, lda: k + 3, b: b.pointer, ldb: n + 5, c: c1.pointer, ldc: n + 2)
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a.pointer, lda: k + 3, b: b.pointer, ldb: n + 5,
                       beta: 1, c: c2.pointer, ldc: n + 2, parallel: false)
            assertClose(c1.array, c2.array, rtol: 1e-5, atol: 1e-5, "gemm \(m)x\(n)x\(k)")
        }
    }

    /// Splitting changes which OpenBLAS micro-kernel computes a row (bit-exact on SkylakeX, not on
    /// Haswell), so results are fixed per thread count and agree to rounding across counts.
    func testParallelGemmMatchesSerial() {
        let a = randomTensor([300, 70], seed: 1), b = randomTensor([70, 200], seed: 2)
        let c1 = Tensor(shape: [300, 200]), c2 = Tensor(shape: [300, 200])
        BLAS.sgemm(transA: false, transB: false, m: 300, n: 200, k: 70, alpha: 1, a: a.pointer, lda: 70, b: b.pointer, ldb: 200,
                   beta: 0, c: c1.pointer, ldc: 200, parallel: true)
        BLAS.sgemm(transA: false, transB: false, m: 300, n: 200, k: 70, alpha: 1, a: a.pointer, lda: 70, b: b.pointer, ldb: 200,
                   beta: 0, c: c2.pointer, ldc: 200, parallel: false)
        assertClose(c1.array, c2.array, rtol: 1e-5, atol: 1e-5, "parallel vs serial")
        // The naive oracle.
        var worst: Float = 0
        for i in stride(from: 0, to: 300, by: 37) {
            for j in stride(from: 0, to: 200, by: 23) {
                var s: Float = 0
                for k in 0..<70 { s += a[i * 70 + k] * b[k * 200 + j] }
                worst = max(worst, abs(s - c1[i * 200 + j]))
            }
        }
        XCTAssertLessThan(worst, 1e-4)
    }

    /// A deep, narrow product (a weight gradient) is split along K into per-thread partials;
    /// every transpose combination, alpha and beta must survive the split.
    func testDepthSplitGemmMatchesSerial() {
        let (m, n, k) = (40, 24, 3000)
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = randomTensor(ta ? [k, m] : [m, k], seed: 4), b = randomTensor(tb ? [n, k] : [k, n], seed: 5)
            let c0 = randomTensor([m, n + 3], seed: 6), c1 = c0.clone(), c2 = c0.clone()
            let (lda, ldb) = (ta ? m : k, tb ? k : n)
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.7, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                       beta: 0.5, c: c1.pointer, ldc: n + 3, parallel: true)
            BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.7, a: a.pointer, lda: lda, b: b.pointer, ldb: ldb,
                       beta: 0.5, c: c2.pointer, ldc: n + 3, parallel: false)
            assertClose(c1.array, c2.array, rtol: 1e-4, atol: 1e-4, "split K, transA \(ta) transB \(tb)")
        }
    }
}
