/// Splits streamed LLM text into speakable chunks for TTS.
///
/// Feed text deltas with ``append(_:)``; it returns every chunk that became complete. A
/// chunk ends at a sentence end (`.`, `!`, `?`, `…`, plus trailing quotes or brackets)
/// followed by whitespace, or at a newline. It does not split inside numbers (`3.5`),
/// after abbreviations (`Dr.`, `e.g.`), initials (`J.`), list markers (`1.`), inside
/// e-mail addresses or URLs, or before a lowercase word. Optionally the first chunk is
/// emitted early at a clause boundary (`,` `;` `:` `—`) to cut time to first audio.
/// Over-long text without a boundary is split at the last space before
/// ``Configuration/maximumCharacters``. Call ``finish()`` at the end of the stream.
public struct SentenceChunker: Sendable {
    /// Chunking options.
    public struct Configuration: Sendable, Equatable {
        /// Emit the first chunk at a clause boundary when it is at least
        /// ``minimumEarlyCharacters`` long.
        public var earlyFirstChunk: Bool
        /// Minimum length of an early first chunk.
        public var minimumEarlyCharacters: Int
        /// Longest chunk before a forced split at a space.
        public var maximumCharacters: Int
        /// Lowercase abbreviations (without the dot) after which a period never ends a sentence.
        public var abbreviations: Set<String>

        /// Creates options.
        public init(
            earlyFirstChunk: Bool = true,
            minimumEarlyCharacters: Int = 24,
            maximumCharacters: Int = 300,
            abbreviations: Set<String> = Configuration.defaultAbbreviations
        ) {
            self.earlyFirstChunk = earlyFirstChunk
            self.minimumEarlyCharacters = max(1, minimumEarlyCharacters)
            self.maximumCharacters = max(16, maximumCharacters)
            self.abbreviations = abbreviations
        }

        /// Common English titles and abbreviations.
        public static let defaultAbbreviations: Set<String> = [
            "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "approx", "dept", "inc",
            "ltd", "co", "corp", "fig", "ave", "blvd", "rd", "apt", "ext", "tel",
            "jan", "feb", "aug", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri",
        ]
    }

    /// Options in use.
    public let configuration: Configuration
    private var buffer: [Unicode.Scalar] = []
    private var scanIndex = 0
    private var emittedAny = false

    /// Creates a chunker.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        buffer.reserveCapacity(512)
    }

    /// Adds streamed text and returns the chunks completed by it (trimmed, never empty).
    public mutating func append(_ text: String) -> [String] {
        buffer.append(contentsOf: text.unicodeScalars)
        var chunks: [String] = []
        while let end = nextBoundary(final: false) {
            if let chunk = take(upTo: end) { chunks.append(chunk) }
        }
        return chunks
    }

    /// Flushes whatever is left at the end of the stream.
    public mutating func finish() -> [String] {
        var chunks: [String] = []
        while let end = nextBoundary(final: true) {
            if let chunk = take(upTo: end) { chunks.append(chunk) }
        }
        if let rest = take(upTo: buffer.count) { chunks.append(rest) }
        return chunks
    }

    /// Drops buffered text (for example on barge-in).
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        scanIndex = 0
        emittedAny = false
    }

    private mutating func take(upTo end: Int) -> String? {
        guard end > 0 else { return nil }
        var start = 0
        var stop = end
        while start < stop, Self.isWhitespace(buffer[start]) { start += 1 }
        while stop > start, Self.isWhitespace(buffer[stop - 1]) { stop -= 1 }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: buffer[start..<stop])
        buffer.removeFirst(end)
        scanIndex = 0
        guard start < stop else { return nil }
        emittedAny = true
        return String(text)
    }

    /// The end index (exclusive) of the next chunk, or nil if more text is needed.
    private mutating func nextBoundary(final: Bool) -> Int? {
        let count = buffer.count
        var index = scanIndex
        while index < count {
            let scalar = buffer[index]
            if scalar == "\n" {
                if hasContent(before: index) { return index + 1 }
                index += 1
                continue
            }
            if Self.isTerminator(scalar) {
                var after = index + 1
                while after < count, Self.isTerminator(buffer[after]) || Self.isCloser(buffer[after]) { after += 1 }
                if after == count {
                    if final { return after }
                    scanIndex = index
                    return nil
                }
                guard Self.isWhitespace(buffer[after]) else {
                    index = after
                    continue
                }
                if scalar == "." || scalar == "…" {
                    let singlePeriod = scalar == "." && (after == index + 1 || buffer[index + 1] != ".")
                    if singlePeriod, isAbbreviation(endingAt: index) {
                        index = after
                        continue
                    }
                    var next = after
                    while next < count, Self.isWhitespace(buffer[next]) { next += 1 }
                    if next == count {
                        if final { return after }
                        scanIndex = index
                        return nil
                    }
                    if buffer[next].properties.isLowercase {
                        index = next
                        continue
                    }
                }
                return after
            }
            if !emittedAny, configuration.earlyFirstChunk, Self.isClauseMark(scalar), index + 1 >= configuration.minimumEarlyCharacters {
                let after = index + 1
                if after == count {
                    if final { return after }
                    scanIndex = index
                    return nil
                }
                if Self.isWhitespace(buffer[after]) { return after }
            }
            index += 1
        }
        scanIndex = index
        if count >= configuration.maximumCharacters {
            var split = configuration.maximumCharacters
            while split > 0, !Self.isWhitespace(buffer[split - 1]) { split -= 1 }
            return split > 0 ? split : configuration.maximumCharacters
        }
        return nil
    }

    private func hasContent(before index: Int) -> Bool {
        buffer[0..<index].contains { !Self.isWhitespace($0) }
    }

    /// Whether the word ending just before the period at `index` is an abbreviation,
    /// an initial, a dotted abbreviation (`e.g`) or a short list number at a line start.
    private func isAbbreviation(endingAt index: Int) -> Bool {
        var start = index
        while start > 0, !Self.isWhitespace(buffer[start - 1]) { start -= 1 }
        while start < index, Self.isOpener(buffer[start]) { start += 1 }
        guard start < index else { return false }
        let word = buffer[start..<index]
        if word.count == 1, word[start].properties.isAlphabetic { return true }
        if word.contains(".") {
            // Dotted abbreviations such as "e.g", "i.e", "U.S", "a.m" (short letter groups), not URLs.
            let groups = word.split(separator: ".", omittingEmptySubsequences: false)
            return groups.allSatisfy { group in group.count <= 3 && group.allSatisfy { $0.properties.isAlphabetic } }
        }
        if word.allSatisfy({ $0.properties.numericType != nil }) {
            let atLineStart = start == 0 || buffer[0..<start].allSatisfy(Self.isWhitespace) || buffer[start - 1] == "\n"
            return word.count <= 2 && atLineStart
        }
        guard word.count <= 8 else { return false }
        var lowered = ""
        for scalar in word { lowered.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars) }
        return configuration.abbreviations.contains(lowered)
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r" }
        return scalar.properties.isWhitespace
    }

    private static func isTerminator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "." || scalar == "!" || scalar == "?" || scalar == "…" || scalar == "。" || scalar == "！" || scalar == "？"
    }

    private static func isCloser(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\"" || scalar == "'" || scalar == ")" || scalar == "]" || scalar == "”" || scalar == "’" || scalar == "»"
    }

    private static func isOpener(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\"" || scalar == "'" || scalar == "(" || scalar == "[" || scalar == "“" || scalar == "‘" || scalar == "«"
    }

    private static func isClauseMark(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "," || scalar == ";" || scalar == ":" || scalar == "—" || scalar == "–"
    }
}
