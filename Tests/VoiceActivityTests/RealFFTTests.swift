import Foundation
import Testing
@testable import VoiceActivity

@Suite("RealFFT")
struct RealFFTTests {
    @Test("forward matches a direct DFT", arguments: [8, 64, 256])
    func forwardMatchesDFT(size: Int) {
        let fft = RealFFT(size: size)
        let x: [Float] = (0..<size).map { n in
            let t = Double(n)
            let spike: Double = n % 5 == 0 ? 0.3 : 0
            return Float(sin(t * 0.37) + 0.5 * cos(t * 1.9) + spike)
        }
        var re = [Float](repeating: 0, count: size / 2 + 1)
        var im = [Float](repeating: 0, count: size / 2 + 1)
        x.withUnsafeBufferPointer { input in
            re.withUnsafeMutableBufferPointer { r in
                im.withUnsafeMutableBufferPointer { i in
                    fft.forward(input.baseAddress!, real: r.baseAddress!, imaginary: i.baseAddress!)
                }
            }
        }
        for k in 0...(size / 2) {
            var dr = 0.0
            var di = 0.0
            for n in 0..<size {
                let a = -2 * Double.pi * Double(k * n) / Double(size)
                dr += Double(x[n]) * cos(a)
                di += Double(x[n]) * sin(a)
            }
            #expect(abs(Double(re[k]) - dr) < 1e-3 * Double(size))
            #expect(abs(Double(im[k]) - di) < 1e-3 * Double(size))
        }
    }

    @Test("inverse undoes forward")
    func roundTrip() {
        let size = 256
        let fft = RealFFT(size: size)
        let x: [Float] = (0..<size).map { n in Float(sin(Double(n) * 0.11) * 3 + Double(n % 7)) }
        var re = [Float](repeating: 0, count: size / 2 + 1)
        var im = [Float](repeating: 0, count: size / 2 + 1)
        var y = [Float](repeating: 0, count: size)
        x.withUnsafeBufferPointer { input in
            re.withUnsafeMutableBufferPointer { r in
                im.withUnsafeMutableBufferPointer { i in
                    fft.forward(input.baseAddress!, real: r.baseAddress!, imaginary: i.baseAddress!)
                    y.withUnsafeMutableBufferPointer { out in
                        fft.inverse(real: r.baseAddress!, imaginary: i.baseAddress!, into: out.baseAddress!)
                    }
                }
            }
        }
        for n in 0..<size { #expect(abs(x[n] - y[n]) < 1e-3) }
    }
}
