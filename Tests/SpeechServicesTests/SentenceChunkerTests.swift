import SpeechServices
import Testing

@Suite("Sentence chunker")
struct SentenceChunkerTests {
    /// Feeds `text` in pieces of `pieceLength` characters and collects every chunk.
    func chunks(_ text: String, pieceLength: Int = 3, configuration: SentenceChunker.Configuration = .init(earlyFirstChunk: false)) -> [String] {
        var chunker = SentenceChunker(configuration: configuration)
        var result: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            let piece = rest.prefix(pieceLength)
            rest = rest.dropFirst(piece.count)
            result += chunker.append(String(piece))
        }
        return result + chunker.finish()
    }

    @Test("splits at sentence ends, including ! ? and closing quotes")
    func basicSentences() {
        #expect(chunks("Hello there. How are you? I'm fine! \"Great.\" Bye") == ["Hello there.", "How are you?", "I'm fine!", "\"Great.\"", "Bye"])
    }

    @Test("does not split inside numbers, whatever the delta boundaries", arguments: [1, 2, 3, 7])
    func numbers(pieceLength: Int) {
        #expect(chunks("The total is 3.5 dollars. Pay 1,250.75 today.", pieceLength: pieceLength) == ["The total is 3.5 dollars.", "Pay 1,250.75 today."])
    }

    @Test("does not split after abbreviations and initials")
    func abbreviations() {
        #expect(chunks("Dr. Smith will see you. Bring e.g. your ID, i.e. a passport. J. R. Tolkien wrote it.")
            == ["Dr. Smith will see you.", "Bring e.g. your ID, i.e. a passport.", "J. R. Tolkien wrote it."])
        #expect(chunks("Mrs. Brown lives on Main St. near the park.") == ["Mrs. Brown lives on Main St. near the park."])
    }

    @Test("does not split inside e-mail addresses or URLs")
    func emailsAndURLs() {
        #expect(chunks("Write to john.doe@example.com for details. Or visit https://example.com/a.b?x=1. Thanks!")
            == ["Write to john.doe@example.com for details.", "Or visit https://example.com/a.b?x=1.", "Thanks!"])
    }

    @Test("does not split before a lowercase continuation or after a list number")
    func lowercaseAndLists() {
        #expect(chunks("It costs approx. five euros. Done.") == ["It costs approx. five euros.", "Done."])
        #expect(chunks("1. Open the app.\n2. Tap login.") == ["1. Open the app.", "2. Tap login."])
    }

    @Test("ellipses and newlines")
    func ellipsisAndNewline() {
        #expect(chunks("Well... Let me think. Okay\nNext line") == ["Well...", "Let me think.", "Okay", "Next line"])
    }

    @Test("the first chunk may be emitted early at a clause boundary, later ones are not")
    func earlyFirstChunk() {
        let configuration = SentenceChunker.Configuration(earlyFirstChunk: true, minimumEarlyCharacters: 20)
        var chunker = SentenceChunker(configuration: configuration)
        #expect(chunker.append("Thanks for calling Acme Dental,").isEmpty)  // needs the following space
        #expect(chunker.append(" how can").elementsEqual(["Thanks for calling Acme Dental,"]))
        #expect(chunker.append(" I help you today, if I may, now? Ok").elementsEqual(["how can I help you today, if I may, now?"]))
        #expect(chunker.finish() == ["Ok"])
        var short = SentenceChunker(configuration: configuration)
        #expect(short.append("Hi, there. ").isEmpty)  // a period waits for the next word (lowercase would continue)
        #expect(short.append("How").elementsEqual(["Hi, there."]))
    }

    @Test("over-long text is split at a space")
    func maximumLength() {
        let configuration = SentenceChunker.Configuration(earlyFirstChunk: false, maximumCharacters: 20)
        let result = chunks("aaaa bbbb cccc dddd eeee ffff gggg", pieceLength: 5, configuration: configuration)
        #expect(result.allSatisfy { $0.count <= 20 })
        #expect(result.joined(separator: " ") == "aaaa bbbb cccc dddd eeee ffff gggg")
    }

    @Test("a trailing period waits for more text, then finish flushes it")
    func pendingPeriod() {
        var chunker = SentenceChunker(configuration: .init(earlyFirstChunk: false))
        #expect(chunker.append("It is 3.").isEmpty)
        #expect(chunker.append("5 km. ").isEmpty)
        #expect(chunker.append("Bye.").elementsEqual(["It is 3.5 km."]))
        #expect(chunker.finish() == ["Bye."])
        #expect(chunker.finish().isEmpty)
    }
}
