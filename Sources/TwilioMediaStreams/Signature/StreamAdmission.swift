import Foundation

/// The check a worker makes on a stream's `start` message before a call begins: the
/// ``StreamToken`` the TwiML answer carried must match the call SID, account SID, bot and
/// the other custom parameters, be unexpired and not used before on this worker.
///
/// ``open`` admits every `start` (signatures switched off for development with
/// `TWILIO_SIGNATURES=off`). The ids' shapes are checked earlier, by the message parser.
public struct StreamAdmission: Sendable {
    /// How streams are admitted.
    public enum Policy: Sendable {
        /// No token is required (development only).
        case open
        /// A valid, unused token is required.
        case tokenRequired(key: StreamTokenKey, replays: StreamTokenReplayCache)
    }

    /// The policy in force.
    public let policy: Policy
    private let clock: @Sendable () -> Int64

    /// Admits every stream.
    public static let open = StreamAdmission(policy: .open)

    /// Creates an admission check.
    /// - Parameter clock: Unix seconds now (tests inject their own).
    public init(policy: Policy, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.policy = policy
        self.clock = clock
    }

    /// Whether a token is required.
    public var requiresToken: Bool {
        if case .open = policy { return false }
        return true
    }

    /// Checks `start` for a stream on bot `botID`'s route.
    public func check(_ start: TwilioStartMessage, botID: String) -> Result<Void, StreamTokenError> {
        guard case .tokenRequired(let key, let replays) = policy else { return .success(()) }
        let metadata = start.start
        let now = clock()
        let token = metadata.customParameters[StreamToken.parameterName]
        do throws(StreamTokenError) {
            let claims = try key.verify(
                token, callSid: metadata.callSid, accountSid: metadata.accountSid, botID: botID,
                parameters: metadata.customParameters, now: now)
            guard let token, replays.markUsed(token, expiresAt: claims.expiresAt, now: now) else {
                return .failure(.replayed)
            }
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
