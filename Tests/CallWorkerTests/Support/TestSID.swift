/// Twilio-shaped ids for tests (`CA`/`AC`/`MZ` + 32 hex digits): the worker refuses a
/// `start` whose ids have another shape.
enum TestSID {
    /// `CA` followed by `n` zero-padded to 32 digits.
    static func call(_ n: Int) -> String { padded("CA", n) }
    /// `AC` followed by `n` zero-padded to 32 digits.
    static func account(_ n: Int) -> String { padded("AC", n) }

    private static func padded(_ prefix: String, _ n: Int) -> String {
        let digits = String(n)
        return prefix + String(repeating: "0", count: max(0, 32 - digits.count)) + digits
    }
}
