import Foundation
import NIOConcurrencyHelpers

/// Calls placed by `/attach`, keyed by reservation id, so a repeated request (a dialler
/// retrying after a lost answer) returns the same call instead of placing a second one.
///
/// This ledger lives in the worker's memory: it is the only record when no fleet registry is
/// configured. With the PostgreSQL capacity registry the claim is also kept there
/// (``CallCapacity/AttachClaimRegistry``), which holds across restarts and workers; this
/// ledger then still answers repeats on the same worker at once and lets a concurrent
/// duplicate wait for the first.
///
/// The first request places the call; an identical one arriving meanwhile waits for it; one
/// with the same reservation id but other fields is a conflict. A failed placement is
/// forgotten (the reservation may be retried). Entries are kept for ``retention``, at most
/// ``capacity`` of them (oldest dropped first).
final class AttachLedger: Sendable {
    /// The answer for a reservation.
    enum Lookup {
        /// New: the caller places the call and must ``finish(_:result:)`` it.
        case place
        /// Already placed (or placed meanwhile): the call SID.
        case placed(callSID: String)
        /// Same reservation id, different request.
        case conflict
        /// The first request failed meanwhile with this error.
        case failed(AttachError)
    }

    private struct Entry {
        var request: AttachRequest
        var callSID: String?
        var waiters: [CheckedContinuation<Result<String, AttachError>, Never>] = []
        var createdAt: ContinuousClock.Instant
    }

    let retention: Duration
    let capacity: Int
    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])

    init(retention: Duration = .seconds(3600), capacity: Int = 10_000) {
        self.retention = retention
        self.capacity = capacity
    }

    /// Claims `request`'s reservation, or reports what became of it.
    func begin(_ request: AttachRequest) async -> Lookup {
        enum Step {
            case done(Lookup)
            case wait
        }
        let step = entries.withLockedValue { entries -> Step in
            prune(&entries)
            guard let entry = entries[request.reservationID] else {
                entries[request.reservationID] = Entry(request: request, createdAt: .now)
                return .done(.place)
            }
            guard entry.request == request else { return .done(.conflict) }
            if let sid = entry.callSID { return .done(.placed(callSID: sid)) }
            return .wait
        }
        if case .done(let lookup) = step { return lookup }
        let outcome = await withCheckedContinuation { continuation in
            let ready = entries.withLockedValue { entries -> Result<String, AttachError>? in
                guard var entry = entries[request.reservationID] else { return .failure(.unavailable("the first attempt failed")) }
                if let sid = entry.callSID { return .success(sid) }
                entry.waiters.append(continuation)
                entries[request.reservationID] = entry
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        switch outcome {
        case .success(let sid): return .placed(callSID: sid)
        case .failure(let error): return .failed(error)
        }
    }

    /// Records the placement's outcome and answers requests that waited for it.
    func finish(_ reservationID: UUID, result: Result<String, AttachError>) {
        let waiters = entries.withLockedValue { entries -> [CheckedContinuation<Result<String, AttachError>, Never>] in
            guard var entry = entries[reservationID] else { return [] }
            let waiters = entry.waiters
            entry.waiters = []
            switch result {
            case .success(let sid):
                entry.callSID = sid
                entries[reservationID] = entry
            case .failure:
                entries[reservationID] = nil
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: result) }
    }

    /// Number of reservations remembered.
    var count: Int { entries.withLockedValue { $0.count } }

    private func prune(_ entries: inout [UUID: Entry]) {
        let now = ContinuousClock.now
        entries = entries.filter { $0.value.callSID == nil || now - $0.value.createdAt < retention }
        guard entries.count >= capacity else { return }
        let oldest = entries.filter { $0.value.callSID != nil }.sorted { $0.value.createdAt < $1.value.createdAt }
        for (key, _) in oldest.prefix(entries.count - capacity + 1) { entries[key] = nil }
    }
}
