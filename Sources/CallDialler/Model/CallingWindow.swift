import Foundation

/// The local time of day a campaign may place calls: `[start, end)` in minutes after local
/// midnight in an IANA time zone (daylight saving time is applied by Foundation). A window whose
/// start is after its end crosses midnight (e.g. 22:00-02:00); start == end means all day.
public struct CallingWindow: Sendable, Hashable {
    /// First minute of the day calls may start (0...1439).
    public var startMinute: Int
    /// Minute of the day calls must stop starting (1...1440).
    public var endMinute: Int
    /// The campaign's time zone, e.g. `America/New_York` or `UTC`.
    public var timeZone: TimeZone

    /// Calls allowed at any time.
    public static let always = CallingWindow(startMinute: 0, endMinute: 1440, timeZone: .gmt)

    /// Creates a window.
    public init(startMinute: Int, endMinute: Int, timeZone: TimeZone) {
        self.startMinute = startMinute
        self.endMinute = endMinute
        self.timeZone = timeZone
    }

    /// Parses `HH:MM-HH:MM` (24-hour clock, end `24:00` allowed) in the time zone `identifier`.
    /// - Throws: ``DiallerError/invalidInput(_:)``.
    public init(parsing text: String, timeZone identifier: String) throws(DiallerError) {
        guard let zone = TimeZone(identifier: identifier) else { throw .invalidInput("unknown time zone \(identifier)") }
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]) else {
            throw .invalidInput("calling window must be HH:MM-HH:MM, got \(text)")
        }
        self.init(startMinute: start, endMinute: end, timeZone: zone)
    }

    private static func minutes(_ text: String) -> Int? {
        let hm = text.split(separator: ":")
        guard hm.count == 2, let h = Int(hm[0]), let m = Int(hm[1]), (0...24).contains(h), (0..<60).contains(m) else { return nil }
        let value = h * 60 + m
        return value <= 1440 ? value : nil
    }

    /// Whether a call may start at `date`.
    public func contains(_ date: Date) -> Bool {
        if startMinute == endMinute || (startMinute == 0 && endMinute >= 1440) { return true }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if startMinute < endMinute { return minute >= startMinute && minute < endMinute }
        return minute >= startMinute || minute < endMinute
    }
}
