/// Checked conversions for numbers that came from the network (headers, JSON fields).
///
/// A provider can send any value: `1e20`, `inf`, `nan`, `-0`, a date in the year 9999, a
/// token count of `Int.max`. Swift traps when such a value is converted to an integer type
/// that cannot hold it or when integer arithmetic overflows, so every such value passes
/// through one of these functions before use. None of them can trap.
public enum NetworkNumber {
    /// A duration from fractional `seconds`, or nil when the value is NaN or not positive.
    /// Values above `maximum` (including `+inf`) become `maximum`.
    public static func duration(seconds: Double, maximum: Duration) -> Duration? {
        guard !seconds.isNaN, seconds > 0 else { return nil }
        let limit = max(maximum, .zero)
        guard seconds < limit.seconds else { return limit }
        // Below the limit: whole nanoseconds fit in Int64 for any limit under ~292 years.
        let nanoseconds = seconds * 1e9
        guard nanoseconds < 9.2e18 else { return limit }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A duration from fractional `milliseconds` (same rules as ``duration(seconds:maximum:)``).
    public static func duration(milliseconds: Double, maximum: Duration) -> Duration? {
        return duration(seconds: milliseconds / 1000, maximum: maximum)
    }

    /// `value` clamped into `0...maximum` (a count that cannot be negative or absurd).
    public static func count(_ value: Int, maximum: Int) -> Int {
        min(max(value, 0), max(maximum, 0))
    }

    /// A finite, non-negative `value` clamped to `maximum`, or nil when it is not finite or negative.
    public static func nonNegative(_ value: Double, maximum: Double) -> Double? {
        guard value.isFinite, value >= 0 else { return nil }
        return min(value, maximum)
    }

    /// `value` converted to `Int64`, saturating at the bounds; NaN becomes 0.
    public static func saturatingInt64(_ value: Double) -> Int64 {
        guard !value.isNaN else { return 0 }
        if value >= 9.223372036854775e18 { return .max }
        if value <= -9.223372036854775e18 { return .min }
        return Int64(value)
    }

    /// `value` converted to `Int`, saturating at the bounds; NaN becomes 0.
    public static func saturatingInt(_ value: Double) -> Int {
        Int(saturatingInt64(value))
    }
}
