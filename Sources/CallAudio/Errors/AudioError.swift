/// Errors thrown by CallAudio when input bytes or buffers are not what an API expects.
///
/// Every public entry point that takes bytes validates them and throws one of these
/// instead of trapping or silently truncating.
public enum AudioError: Error, Equatable, Sendable {
    /// PCM16 data must hold whole 2-byte samples; `byteCount` was odd.
    case oddByteCount(byteCount: Int)
    /// A caller-provided output buffer holds `available` elements but `required` are needed.
    case outputBufferTooSmall(required: Int, available: Int)
    /// A sample rate outside what the API supports.
    case unsupportedSampleRate(Double)
    /// A channel count outside what the API supports.
    case unsupportedChannelCount(Int)
    /// A frame length that does not fit the format (for example not a whole number of samples).
    case invalidFrameLength(Int)
    /// libsoxr refused a configuration or a call; the message is libsoxr's own.
    case resampler(String)
    /// A WAV file could not be read or written.
    case wav(WAVError)
}

/// Why a WAV (RIFF/WAVE) file was rejected.
public enum WAVError: Error, Equatable, Sendable {
    /// Fewer bytes than a RIFF header.
    case truncatedHeader
    /// The file does not start with `RIFF` .... `WAVE`.
    case notRIFFWave
    /// A chunk header claims more bytes than the file holds.
    case chunkPastEnd(chunkID: String, declaredSize: Int, available: Int)
    /// No `fmt ` chunk before the `data` chunk.
    case missingFormatChunk
    /// No `data` chunk.
    case missingDataChunk
    /// The `fmt ` chunk is shorter than the 16 bytes every format needs.
    case formatChunkTooShort(Int)
    /// A format tag other than PCM (1), A-law (6) or mu-law (7).
    case unsupportedFormatTag(UInt16)
    /// Bits per sample that do not match the format tag (16 for PCM, 8 for G.711).
    case unsupportedBitsPerSample(UInt16)
    /// Zero or more than two channels.
    case invalidChannelCount(UInt16)
    /// A sample rate of zero or above 384 kHz.
    case invalidSampleRate(UInt32)
    /// `blockAlign` disagrees with channels and bits per sample.
    case inconsistentBlockAlign(declared: UInt16, expected: UInt16)
    /// `byteRate` disagrees with the sample rate and block alignment.
    case inconsistentByteRate(declared: UInt32, expected: UInt32)
    /// The data chunk does not hold a whole number of sample frames.
    case partialSampleFrame(dataSize: Int, blockAlign: Int)
    /// The writer was used after `close()`, or a write had the wrong shape.
    case writerClosed
    /// The data would exceed the 4 GiB RIFF limit.
    case tooLarge
    /// A file-system operation failed (`errno` value).
    case io(operation: String, errno: Int32)
}
