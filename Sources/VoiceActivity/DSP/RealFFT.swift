import Foundation

/// A radix-2 FFT for real signals of one fixed power-of-two length, computed as a
/// half-length complex FFT plus a split step.
///
/// All tables and scratch memory are allocated once in `init`; ``forward(_:real:imaginary:)``
/// and ``inverse(real:imaginary:into:)`` never allocate. Not thread-safe: one instance
/// belongs to one classifier.
final class RealFFT {
    /// Transform length `N` (a power of two, at least 4).
    let size: Int
    /// `N / 2`: the number of complex points of the inner FFT. Spectra have `half + 1` bins.
    let half: Int

    private let workRe: UnsafeMutablePointer<Float>
    private let workIm: UnsafeMutablePointer<Float>
    /// cos / -sin of 2*pi*k/half for k < half/2 (inner FFT twiddles).
    private let twCos: UnsafeMutablePointer<Float>
    private let twSin: UnsafeMutablePointer<Float>
    /// cos / -sin of 2*pi*k/N for k <= half (split twiddles).
    private let splitCos: UnsafeMutablePointer<Float>
    private let splitSin: UnsafeMutablePointer<Float>
    private let bitReverse: UnsafeMutablePointer<Int32>

    /// - Precondition: `size` is a power of two and at least 4.
    init(size: Int) {
        precondition(size >= 4 && size & (size - 1) == 0, "FFT size must be a power of two >= 4")
        self.size = size
        half = size / 2
        workRe = .allocate(capacity: half)
        workIm = .allocate(capacity: half)
        workRe.initialize(repeating: 0, count: half)
        workIm.initialize(repeating: 0, count: half)
        let quarter = max(half / 2, 1)
        twCos = .allocate(capacity: quarter)
        twSin = .allocate(capacity: quarter)
        for k in 0..<quarter {
            let a = 2.0 * Double.pi * Double(k) / Double(half)
            (twCos + k).initialize(to: Float(cos(a)))
            (twSin + k).initialize(to: Float(-sin(a)))
        }
        splitCos = .allocate(capacity: half + 1)
        splitSin = .allocate(capacity: half + 1)
        for k in 0...half {
            let a = 2.0 * Double.pi * Double(k) / Double(size)
            (splitCos + k).initialize(to: Float(cos(a)))
            (splitSin + k).initialize(to: Float(-sin(a)))
        }
        bitReverse = .allocate(capacity: half)
        var bits = 0
        while (1 << bits) < half { bits += 1 }
        for i in 0..<half {
            var r = 0
            var v = i
            for _ in 0..<bits {
                r = (r << 1) | (v & 1)
                v >>= 1
            }
            (bitReverse + i).initialize(to: Int32(r))
        }
    }

    deinit {
        workRe.deallocate()
        workIm.deallocate()
        twCos.deallocate()
        twSin.deallocate()
        splitCos.deallocate()
        splitSin.deallocate()
        bitReverse.deallocate()
    }

    /// In-place forward complex FFT of `workRe/workIm` (length `half`), no scaling.
    @inline(__always)
    private func complexForward() {
        let n = half
        let re = workRe
        let im = workIm
        for i in 0..<n {
            let j = Int(bitReverse[i])
            if j > i {
                let tr = re[i]; re[i] = re[j]; re[j] = tr
                let ti = im[i]; im[i] = im[j]; im[j] = ti
            }
        }
        // stage 1 (length 2): twiddle 1
        var i = 0
        while i + 1 < n {
            let ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1]
            re[i] = ar + br
            im[i] = ai + bi
            re[i + 1] = ar - br
            im[i + 1] = ai - bi
            i += 2
        }
        // stage 2 (length 4): twiddles 1 and -i
        if n >= 4 {
            i = 0
            while i < n {
                let ar = re[i], ai = im[i], br = re[i + 2], bi = im[i + 2]
                re[i] = ar + br
                im[i] = ai + bi
                re[i + 2] = ar - br
                im[i + 2] = ai - bi
                // (re + i im) * (-i) = im - i re
                let cr = re[i + 1], ci = im[i + 1], dr = im[i + 3], di = -re[i + 3]
                re[i + 1] = cr + dr
                im[i + 1] = ci + di
                re[i + 3] = cr - dr
                im[i + 3] = ci - di
                i += 4
            }
        }
        var length = 8
        while length <= n {
            let halfLength = length >> 1
            let step = n / length
            var start = 0
            while start < n {
                var t = 0
                for k in 0..<halfLength {
                    let c = twCos[t]
                    let s = twSin[t]
                    let a = start + k
                    let b = a + halfLength
                    let br = re[b]
                    let bi = im[b]
                    let tr = br * c - bi * s
                    let ti = br * s + bi * c
                    let ar = re[a]
                    let ai = im[a]
                    re[b] = ar - tr
                    im[b] = ai - ti
                    re[a] = ar + tr
                    im[a] = ai + ti
                    t += step
                }
                start += length
            }
            length <<= 1
        }
    }

    /// Forward transform of `input` (`size` samples). Writes bins `0...half` of the
    /// unscaled DFT `X[k] = sum x[n] e^{-2 pi i k n / N}` into `real` and `imaginary`.
    func forward(
        _ input: UnsafePointer<Float>,
        real: UnsafeMutablePointer<Float>,
        imaginary: UnsafeMutablePointer<Float>
    ) {
        let n = half
        for i in 0..<n {
            workRe[i] = input[2 &* i]
            workIm[i] = input[2 &* i &+ 1]
        }
        complexForward()
        // k = 0 and k = half
        real[0] = workRe[0] + workIm[0]
        imaginary[0] = 0
        real[n] = workRe[0] - workIm[0]
        imaginary[n] = 0
        if n < 2 { return }
        for k in 1..<n {
            let zr = workRe[k]
            let zi = workIm[k]
            let ar = workRe[n - k]
            let ai = workIm[n - k]
            let feR = 0.5 * (zr + ar)
            let feI = 0.5 * (zi - ai)
            let foR = 0.5 * (zi + ai)
            let foI = -0.5 * (zr - ar)
            let wr = splitCos[k]
            let wi = splitSin[k]
            real[k] = feR + wr * foR - wi * foI
            imaginary[k] = feI + wr * foI + wi * foR
        }
    }

    /// Inverse transform of a Hermitian spectrum given as bins `0...half`. Writes `size`
    /// real samples `x[n] = (1/N) sum_k X[k] e^{+2 pi i k n / N}` into `output`.
    func inverse(
        real: UnsafePointer<Float>,
        imaginary: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>
    ) {
        let n = half
        // Z[k] = Fe[k] + i Fo[k], with Fe = (X[k] + conj X[h-k]) / 2 and
        // Fo = (X[k] - conj X[h-k]) / (2 W^k), W = e^{-2 pi i / N}.
        // The inverse complex FFT is done as conj(FFT(conj(Z))).
        for k in 0..<n {
            let xr = real[k]
            let xi = imaginary[k]
            let yr = real[n - k]
            let yi = -imaginary[n - k]
            let feR = 0.5 * (xr + yr)
            let feI = 0.5 * (xi + yi)
            let dR = 0.5 * (xr - yr)
            let dI = 0.5 * (xi - yi)
            // divide by W^k = (c + i s) with c = cos, s = -sin: multiply by conj = (c - i s)
            let c = splitCos[k]
            let s = splitSin[k]
            let foR = dR * c + dI * s
            let foI = dI * c - dR * s
            // Z = Fe + i Fo; store conj(Z)
            workRe[k] = feR - foI
            workIm[k] = -(feI + foR)
        }
        complexForward()
        let scale = 1.0 / Float(n)
        for i in 0..<n {
            output[2 &* i] = workRe[i] * scale
            output[2 &* i &+ 1] = -workIm[i] * scale
        }
    }
}
