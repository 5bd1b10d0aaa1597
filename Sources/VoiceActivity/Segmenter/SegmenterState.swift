/// The states of an ``UtteranceSegmenter``.
///
/// ```
/// silence --speech--> pendingStart(1)
/// pendingStart(n) --speech--> pendingStart(n+1), or speaking(0) once n+1 >= start frames
///                   and the run holds a voiced frame               [emits speechStarted]
/// pendingStart --non-speech--> silence
/// speaking(0) --speech--> speaking(0)
/// speaking(k) --non-speech, or speech not yet confirmed--> speaking(k+1);
///              at k+1 == stop frames --> silence (or pendingStart if a run is open) [emits speechEnded]
/// speaking(k>0) --a run of start frames with a voiced frame--> speaking(0)
/// speaking --length == maximum--> speaking, new utterance          [emits speechEnded(.maximumLength)]
/// ```
///
/// A speech run that begins inside the stop hangover must be confirmed like an onset
/// before it extends the utterance, so a click or cough just after the caller stops
/// does not keep the utterance open.
public enum SegmenterState: Sendable, Hashable {
    /// No utterance in progress.
    case silence
    /// `speechFrames` consecutive speech frames seen, not yet enough (or not yet voiced) to start.
    case pendingStart(speechFrames: Int)
    /// Inside an utterance; `silentFrames` frames since the last confirmed speech frame.
    case speaking(silentFrames: Int)
}
