#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a WAV file incrementally, for call recordings of unknown length.
///
/// The header is written first with zero sizes; ``close()`` patches the RIFF and data
/// sizes (and the `fact` sample count for G.711) and fsyncs. Memory use is constant:
/// samples go straight to the file. A writer that is never closed leaves a file whose
/// header says zero bytes of data; ``WAVFile`` then reads it as empty rather than
/// trusting garbage.
///
/// One writer belongs to one task; it is not `Sendable`.
public final class WAVStreamWriter {
    /// The format written.
    public let format: AudioFormat
    /// Where the file is.
    public let path: String
    /// Data bytes written so far.
    public private(set) var dataSize: Int = 0

    private var descriptor: Int32
    /// Encoding scratch, allocated once so appends never allocate.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 16)

    /// Creates (or truncates) the file at `path` and writes a provisional header.
    public init(path: String, format: AudioFormat) throws(AudioError) {
        try WAVHeader.validate(format)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .wav(.io(operation: "open", errno: errno)) }
        self.descriptor = fd
        self.format = format
        self.path = path
        let header = WAVHeader.bytes(format: format, dataSize: 0)
        try writeAll(header, at: nil)
    }

    deinit {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        scratch.deallocate()
    }

    /// Appends raw sample bytes in the writer's encoding. They must be whole sample frames.
    public func append(bytes: UnsafeRawBufferPointer) throws(AudioError) {
        guard descriptor >= 0 else { throw .wav(.writerClosed) }
        guard bytes.count % format.bytesPerFrame == 0 else {
            throw .wav(.partialSampleFrame(dataSize: bytes.count, blockAlign: format.bytesPerFrame))
        }
        guard dataSize + bytes.count <= WAVHeader.maximumDataSize else { throw .wav(.tooLarge) }
        try writeAll(bytes, at: nil)
        dataSize += bytes.count
    }

    /// Appends PCM16 samples, encoding them to the writer's format (G.711 or little-endian PCM).
    /// Does not allocate.
    public func append(pcm16 samples: UnsafeBufferPointer<Int16>) throws(AudioError) {
        guard descriptor >= 0 else { throw .wav(.writerClosed) }
        let chunkSamples = scratch.count / 2
        var offset = 0
        while offset < samples.count {
            let n = min(chunkSamples, samples.count - offset)
            let chunk = UnsafeBufferPointer(rebasing: samples[offset..<(offset + n)])
            let written: Int
            switch format.encoding {
            case .pcm16:
                written = try PCM16.encodeLittleEndian(chunk, into: scratch)
            case .muLaw:
                written = try MuLaw.encode(chunk, into: scratch.bindMemory(to: UInt8.self))
            case .aLaw:
                written = try ALaw.encode(chunk, into: scratch.bindMemory(to: UInt8.self))
            }
            try append(bytes: UnsafeRawBufferPointer(rebasing: scratch[0..<written]))
            offset += n
        }
    }

    /// Appends PCM16 samples from an array.
    public func append(pcm16 samples: [Int16]) throws(AudioError) {
        try samples.withUnsafeBufferPointer { buffer in
            Result { () throws(AudioError) in try append(pcm16: buffer) }
        }.get()
    }

    /// Patches the header with the final sizes, pads odd data, fsyncs and closes the file.
    /// Calling it twice is harmless.
    public func close() throws(AudioError) {
        guard descriptor >= 0 else { return }
        defer {
            _ = Glibc.close(descriptor)
            descriptor = -1
        }
        if dataSize % 2 == 1 {
            try writeAll([0], at: nil)
        }
        let header = WAVHeader.bytes(format: format, dataSize: dataSize)
        try writeAll(header, at: 0)
        guard fsync(descriptor) == 0 else { throw .wav(.io(operation: "fsync", errno: errno)) }
    }

    private func writeAll(_ bytes: [UInt8], at position: Int?) throws(AudioError) {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(AudioError) in try writeAll(raw, at: position) }
        }.get()
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at position: Int?) throws(AudioError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let result: Int
            if let position {
                result = pwrite(descriptor, base + done, bytes.count - done, off_t(position + done))
            } else {
                result = write(descriptor, base + done, bytes.count - done)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .wav(.io(operation: position == nil ? "write" : "pwrite", errno: errno))
            }
            done += result
        }
    }
}
