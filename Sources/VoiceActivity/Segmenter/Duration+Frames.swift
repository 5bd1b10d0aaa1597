extension Duration {
    /// Whole frames of `frameMilliseconds` needed to cover this duration (rounded up, at least `minimum`).
    func frames(of frameMilliseconds: Int, minimum: Int) -> Int {
        let (seconds, attoseconds) = components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let frameMicroseconds = Int64(frameMilliseconds) * 1000
        let count = Int((microseconds + frameMicroseconds - 1) / frameMicroseconds)
        return max(count, minimum)
    }
}
