import Foundation
import PostgresNIO

extension PostgresCapacityRegistry: AttachClaimRegistry {
    /// See ``AttachClaimRegistry/claimAttach(reservationID:fingerprint:workerID:)``: one
    /// statement (`INSERT … ON CONFLICT DO NOTHING`, else the existing row), so two workers
    /// claiming the same reservation at once get one ``AttachClaim/claimed`` between them.
    public func claimAttach(reservationID: UUID, fingerprint: String, workerID: String) async throws(CapacityError) -> AttachClaim {
        guard !workerID.isEmpty else { throw .invalidArgument("workerID must not be empty") }
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(fingerprint)
        binds.append(workerID)
        // A concurrent claim committed between this statement's snapshot and its insert:
        // neither branch sees a row; the next statement (new snapshot) does.
        for _ in 0..<3 {
            guard let (claimed, same, owner, sid) = try await single(schema.claimAttachSQL, binds, as: (Bool, Bool, String, String?).self) else {
                continue
            }
            if claimed { return .claimed }
            guard same else { return .conflict }
            if let sid { return .placed(callSID: sid, workerID: owner) }
            return .inProgress(workerID: owner)
        }
        throw .database(message: "attach claim of \(reservationID) neither inserted nor found")
    }

    /// See ``AttachClaimRegistry/recordAttach(reservationID:callSID:)``.
    @discardableResult
    public func recordAttach(reservationID: UUID, callSID: String) async throws(CapacityError) -> Bool {
        guard !callSID.isEmpty else { throw .invalidArgument("callSID must not be empty") }
        var binds = PostgresBindings()
        binds.append(reservationID)
        binds.append(callSID)
        return try await single(schema.recordAttachSQL, binds, as: Int.self) != nil
    }

    /// See ``AttachClaimRegistry/abandonAttach(reservationID:)``.
    public func abandonAttach(reservationID: UUID) async throws(CapacityError) {
        var binds = PostgresBindings()
        binds.append(reservationID)
        try await execute(schema.abandonAttachSQL, binds)
    }

    /// See ``AttachClaimRegistry/pruneAttachClaims(olderThan:)``.
    @discardableResult
    public func pruneAttachClaims(olderThan age: Duration) async throws(CapacityError) -> Int {
        guard age > .zero else { throw .invalidArgument("age must be positive") }
        var binds = PostgresBindings()
        binds.append(age.microseconds)
        return try await single(schema.pruneAttachSQL, binds, as: Int.self) ?? 0
    }
}
