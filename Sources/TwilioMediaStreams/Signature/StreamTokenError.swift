/// Why a stream's `start` was refused by ``StreamAdmission``: the call ends at once with
/// reason `unauthorized` and a log line carrying `call_sid`.
public enum StreamTokenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `start.customParameters` has no `stream_token` (not from a TwiML answer of this fleet).
    case missing
    /// The token is not `v1.<expiry>.<base64url MAC>`.
    case malformed
    /// The token expired at `expiresAt` (Unix seconds); it was checked at `now`.
    case expired(expiresAt: Int64, now: Int64)
    /// The MAC does not match this call SID, account SID, bot and parameters (forged, or
    /// issued for another call or bot, or a parameter was changed).
    case mismatch
    /// The token was already used by an earlier stream on this worker (a replayed `start`).
    case replayed

    /// A short stable label for metrics and logs.
    public var label: String {
        switch self {
        case .missing: "stream_token_missing"
        case .malformed: "stream_token_malformed"
        case .expired: "stream_token_expired"
        case .mismatch: "stream_token_mismatch"
        case .replayed: "stream_token_replayed"
        }
    }

    /// A message for the log line (never contains the token or the key).
    public var description: String {
        switch self {
        case .missing: "no stream_token parameter"
        case .malformed: "stream_token is malformed"
        case .expired(let expiresAt, let now): "stream_token expired \(now - expiresAt) s ago"
        case .mismatch: "stream_token does not match this call, bot or parameters"
        case .replayed: "stream_token was already used"
        }
    }
}
