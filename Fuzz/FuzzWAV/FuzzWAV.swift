import CallAudio

/// libFuzzer entry: `WAVFile(parsing:)` on arbitrary bytes; on success the sample views and a
/// round trip through `serialized()` must not trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? WAVFile(parsing: bytes) else { return 0 }
    _ = file.frameCount
    _ = file.duration
    _ = file.pcm16Samples()
    _ = file.monoPCM16Samples()
    let again = try? WAVFile(parsing: file.serialized())
    precondition(again == file, "a parsed WAV file must survive serialize + parse")
    return 0
}
