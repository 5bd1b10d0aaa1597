import Benchmark
import Foundation
import Logging
import NIOCore
import CallTesting
import TwilioMediaStreams

let streamSid = "MZ18ad3ab5a668481ce02b83e7395059f0"
let frame: [UInt8] = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

/// A Twilio-shaped inbound media message (key order as Twilio sends it).
func mediaMessage(seq: Int) -> String {
    #"{"event":"media","sequenceNumber":"\#(seq)","media":{"track":"inbound","chunk":"\#(seq - 1)","timestamp":"\#((seq - 2) * 20)","payload":"\#(Data(frame).base64EncodedString())"},"streamSid":"\#(streamSid)"}"#
}

let oneMessage = Array(mediaMessage(seq: 4).utf8)
let thousandMessages: [[UInt8]] = (2..<1002).map { Array(mediaMessage(seq: $0).utf8) }
let frameMetrics: [BenchmarkMetric] = [.cpuTotal, .wallClock, .mallocCountTotal, .throughput]

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 10_000

    Benchmark("Inbound media: TwilioMessageParser (fast path)", configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)) { benchmark in
        let parser = TwilioMessageParser()
        var payload = [UInt8](repeating: 0, count: 8000)
        try oneMessage.withUnsafeBytes { message in
            try payload.withUnsafeMutableBufferPointer { out in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try parser.parse(message, payloadInto: out))
                }
                benchmark.stopMeasurement()
            }
        }
    }

    Benchmark("Inbound media: JSONDecoder + Data(base64Encoded:)", configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)) { benchmark in
        let data = Data(oneMessage)
        let decoder = JSONDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let message = try decoder.decode(TwilioMediaMessage.self, from: data)
            blackHole(Data(base64Encoded: message.media.payload))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("Inbound media: TwilioStreamSession.receive (parse + sequencing)", configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)) { benchmark in
        var session = TwilioStreamSession(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        var sim = TwilioCallerSimulator(configuration: .init(streamSid: streamSid))
        var payload = [UInt8](repeating: 0, count: 8000)
        payload.withUnsafeMutableBufferPointer { out in
            _ = session.receive(sim.connectedMessage(), payloadInto: out)
            _ = session.receive(sim.startMessage(), payloadInto: out)
        }
        payload.withUnsafeMutableBufferPointer { out in
            benchmark.startMeasurement()
            for message in thousandMessages {
                message.withUnsafeBytes { blackHole(session.receive($0, payloadInto: out)) }
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Outbound media: TwilioOutboundEncoder into a reused ByteBuffer", configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)) { benchmark in
        let encoder = TwilioOutboundEncoder(streamSid: streamSid)
        var buffer = ByteBufferAllocator().buffer(capacity: 512)
        frame.withUnsafeBytes { payload in
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                buffer.clear()
                encoder.encodeMedia(payload, into: &buffer)
                blackHole(buffer.readableBytes)
            }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("Outbound media: JSONEncoder + base64EncodedString", configuration: .init(metrics: frameMetrics, scalingFactor: .kilo)) { benchmark in
        let encoder = JSONEncoder()
        let data = Data(frame)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let message = TwilioOutboundMessage.media(.init(streamSid: streamSid, payload: data.base64EncodedString()))
            blackHole(try encoder.encode(message))
        }
        benchmark.stopMeasurement()
    }

    // One agent chunk of N seconds per iteration: paced into 20 ms frames, encoded, marked,
    // and its mark echoed. Comparing 1 s and 10 s shows the per-frame cost and that the
    // allocations are per chunk (mark name), not per frame.
    for seconds in [1, 10] {
        Benchmark("Outbound playback: \(seconds) s chunk paced, encoded, marked, echoed (\(seconds * 50) frames)", configuration: .init(metrics: frameMetrics)) { benchmark in
            var playback = TwilioOutboundPlayback(streamSid: streamSid)
            let audio = [UInt8](repeating: 0x55, count: 8000 * seconds)
            var t = Duration.zero
            var turn = 0
            func run() {
                turn += 1
                let id = PlaybackChunkID(turn: turn, chunk: 0)
                audio.withUnsafeBufferPointer { playback.append($0, chunk: id) }
                playback.finishChunk(id)
                for _ in 0...(seconds * 50 + 6) {
                    _ = playback.poll(now: t) { blackHole($0.readableBytes) }
                    t += .milliseconds(20)
                }
                blackHole(playback.markEchoed(name: id.markName))
            }
            for _ in 0..<3 { run() }  // warm up: the queue reaches its working size
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { run() }
            benchmark.stopMeasurement()
        }
    }

    Benchmark("X-Twilio-Signature: validate a WebSocket upgrade", configuration: .init(metrics: [.cpuTotal, .wallClock, .mallocCountTotal])) { benchmark in
        let validator = TwilioSignatureValidator(authToken: "12345")
        for _ in benchmark.scaledIterations {
            blackHole(validator.isValid(signature: "7PR3qMkpDyEJtMrVOY/LDyNq8J8=", url: "wss://example.com/media"))
        }
    }
}
