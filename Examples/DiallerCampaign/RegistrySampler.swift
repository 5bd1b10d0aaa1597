import AsyncHTTPClient
import CallCapacity
import ExampleSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The capacity registry as read right after a placement reached the fake.
struct RegistrySample: Sendable {
    /// The placement (its index in the fake) the sample follows; several placements read in
    /// one go share a sample.
    var placementIndex: Int
    /// The fake's live count when it reported the placement.
    var fakeLive: Int
    /// Reserved + active slots over every registered worker (a dead worker's included).
    var usedAll: Int
    /// Reserved + active slots on workers whose lease is valid.
    var usedLive: Int
    /// Slots of workers whose lease is valid.
    var liveSlots: Int
    var byClient: [String: Int]
    var byCampaign: [String: Int]
    /// Per worker: (state, reserved, active).
    var workers: [String: (state: WorkerState, reserved: Int, active: Int)]
    var sampledAtMs: Int64
}

/// Follows the fake's placements and reads the registry after each (the "checked against the
/// registry after every step" half of the proof; the fake's own count is the other half).
final class RegistrySampler: Sendable {
    private let state = NIOLockedValueBox<(samples: [RegistrySample], placements: Int, errors: Int)>(([], 0, 0))

    var samples: [RegistrySample] { state.withLockedValue { $0.samples } }
    var placementsSeen: Int { state.withLockedValue { $0.placements } }
    var sampleErrors: Int { state.withLockedValue { $0.errors } }

    /// Reads `controlURL/placements` until it ends or the task is cancelled; calls `onSample`
    /// after each sample.
    func run(controlURL: String, database: CampaignDatabase, onSample: @Sendable (RegistrySample) async -> Void) async throws {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: controlURL + "/placements"), timeout: .hours(1))
        var pending: [UInt8] = []
        let decoder = JSONDecoder()
        for try await buffer in response.body {
            pending += buffer.readableBytesView
            var placements: [Placement] = []
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                if let placement = try? decoder.decode(Placement.self, from: Data(line)) { placements.append(placement) }
            }
            guard let last = placements.last else { continue }
            state.withLockedValue { $0.placements += placements.count }
            do {
                let sample = try await Self.sample(after: last, database: database)
                state.withLockedValue { $0.samples.append(sample) }
                await onSample(sample)
            } catch {
                state.withLockedValue { $0.errors += 1 }
            }
        }
    }

    static func sample(after placement: Placement, database: CampaignDatabase) async throws -> RegistrySample {
        let workers = try await database.registry.workers()
        let usage = try await database.registry.usage()
        let live = workers.filter { $0.state != .expired }
        return RegistrySample(
            placementIndex: placement.index, fakeLive: placement.live,
            usedAll: workers.reduce(0) { $0 + $1.used }, usedLive: live.reduce(0) { $0 + $1.used },
            liveSlots: live.reduce(0) { $0 + $1.slots }, byClient: usage.byClient, byCampaign: usage.byCampaign,
            workers: Dictionary(uniqueKeysWithValues: workers.map { ($0.workerID, ($0.state, $0.reserved, $0.active)) }),
            sampledAtMs: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}
