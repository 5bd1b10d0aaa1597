import SpeechServices
import VoiceActivity

/// Speculative transcription (``SpeculationPolicy``): STT starts while the caller pauses, so
/// the transcript is usually there when the end-of-turn wait is over.
extension CallStateMachine {
    /// One speculative request and what became of it.
    struct Speculation: Sendable, Equatable {
        /// The turn running the request.
        var turn: Int
        /// Start of speech of the audio sent.
        var speechStart: Duration
        /// End of speech of the audio sent: the final utterance must end at the same time
        /// for the transcript to be used.
        var speechEnd: Duration
        /// Seconds of audio sent.
        var seconds: Double
        /// The transcript, once it arrived before the turn ended.
        var transcript: Transcript?
        /// Wall time the transcript arrived.
        var transcribedAt: Duration?
        /// The provider that served it.
        var servedBy: ProviderDescriptor?
        /// The utterance ended while the request was in flight: its turn is the reply.
        var adopted = false
        /// The request failed: the utterance is transcribed at its end, as without speculation.
        var failed = false
    }

    /// Per frame inside an utterance: start a speculation after the configured pause, drop
    /// one the caller has talked past.
    mutating func checkSpeculation(silence: Duration, into actions: inout [CallAction]) {
        if let speculation, !speculation.adopted, silence == .zero {
            // The caller speaks again: a result (or a request in flight) is for older speech.
            if speculation.failed {
                self.speculation = nil
            } else {
                waste(speculation, into: &actions)
            }
            return
        }
        guard configuration.speculation.enabled, speculation == nil, caller.inUtterance, !caller.startedDuringSpeech,
            !isClosing, silence >= configuration.speculation.silence
        else { return }
        actions.append(.speculate)
    }

    /// The utterance in progress, as the detector would end it now: start transcribing it.
    mutating func speculate(_ utterance: Utterance) -> [CallAction] {
        var actions: [CallAction] = []
        // A speculation is optional: over the STT budget there is none (the utterance is
        // transcribed at its end if the budget then allows).
        guard endReason == nil, speculation == nil, caller.inUtterance, transcriptions.take(at: timers.wallTime) else { return actions }
        let id = newTurn(.speculate(utterance), into: &actions)
        speculation = Speculation(turn: id, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd, seconds: utterance.seconds)
        return actions
    }

    /// The speculative turn `id` got its transcript. Returns the model's messages when the
    /// turn has been adopted as the reply (it goes on), nil when the result waits for the
    /// end of the utterance or was dropped.
    mutating func speculated(
        _ id: Int, transcript: Transcript, servedBy descriptor: ProviderDescriptor?, wall: Duration
    ) -> (messages: [ChatMessage]?, actions: [CallAction]) {
        guard isActive(id), var speculation, speculation.turn == id else { return (nil, []) }
        accounting.transcribed(seconds: speculation.seconds, servedBy: descriptor, speculative: true)
        speculation.transcript = transcript
        speculation.transcribedAt = wall
        speculation.servedBy = descriptor
        guard speculation.adopted else {
            self.speculation = speculation
            return (nil, [])
        }
        self.speculation = nil
        accounting.note(id, \.sttDone, at: wall)
        return accept(id, transcript: transcript, speechStart: speculation.speechStart, speechEnd: speculation.speechEnd)
    }

    /// The utterance ended: if a speculation covered exactly this speech, use it (its
    /// transcript, or its request still in flight). Returns true when it did.
    mutating func adoptSpeculation(for utterance: Utterance, timings: TurnTimings, into actions: inout [CallAction]) -> Bool {
        guard var speculation else { return false }
        guard !speculation.failed else {
            self.speculation = nil
            return false
        }
        guard speculation.speechEnd == utterance.speechEnd else {
            waste(speculation, into: &actions)
            return false
        }
        var timings = timings
        if let transcript = speculation.transcript {
            // Already transcribed: STT took no time after the end of the turn.
            self.speculation = nil
            timings.sttDone = max(speculation.transcribedAt ?? timers.wallTime, timings.utteranceEmitted ?? .zero)
            let normalised = CallEngineConfiguration.normalise(transcript.text)
            guard !configuration.junkTranscripts.contains(normalised) else {
                actions.append(.note(.junkTranscript(transcript.text)))
                if case .callerSpeaking = state { enter(ledger.isEmpty ? .listening : .speaking(reply: nil)) }
                return true
            }
            timers.idlePrompts = 0
            history.append(.caller(CallerTurn(text: transcript.text, speechStart: utterance.speechStart, speechEnd: utterance.speechEnd)))
            let id = newTurn(.reply, into: &actions)
            accounting.beginTimings(id, timings)
            actions.append(.checkpoint)
            enter(.thinking(reply: id))
            return true
        }
        // In flight: that turn becomes the reply.
        speculation.adopted = true
        self.speculation = speculation
        accounting.beginTimings(speculation.turn, timings)
        enter(.thinking(reply: speculation.turn))
        return true
    }

    /// The caller went on speaking (or the utterance was skipped): the speculative result is not used.
    mutating func waste(_ speculation: Speculation, into actions: inout [CallAction]) {
        self.speculation = nil
        if speculation.transcript == nil {
            // Cancelled in flight: the audio was (probably) sent already, so count it.
            accounting.transcribed(seconds: speculation.seconds, servedBy: nil, speculative: true)
        }
        accounting.speculationWasted(seconds: speculation.seconds)
        cancel([speculation.turn], into: &actions)
    }
}
