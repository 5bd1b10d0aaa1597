/// RIFF/WAVE header parsing and building shared by ``WAVFile`` and ``WAVStreamWriter``.
enum WAVHeader {
    static let formatPCM: UInt16 = 1
    static let formatALaw: UInt16 = 6
    static let formatMuLaw: UInt16 = 7
    static let formatExtensible: UInt16 = 0xFFFE
    /// The RIFF size field is 32 bits and covers the header too.
    static let maximumDataSize = Int(UInt32.max) - 64

    struct Parsed {
        var format: AudioFormat
        var dataRange: Range<Int>
    }

    static func validate(_ format: AudioFormat) throws(AudioError) {
        guard format.channels == 1 || format.channels == 2 else {
            throw .wav(.invalidChannelCount(UInt16(clamping: format.channels)))
        }
        guard format.sampleRate > 0, format.sampleRate <= WAVFile.maximumSampleRate else {
            throw .wav(.invalidSampleRate(UInt32(clamping: format.sampleRate)))
        }
    }

    static func tag(for encoding: AudioEncoding) -> UInt16 {
        switch encoding {
        case .pcm16: formatPCM
        case .aLaw: formatALaw
        case .muLaw: formatMuLaw
        }
    }

    /// Size of the header ``bytes(format:dataSize:)`` writes.
    static func headerSize(for encoding: AudioEncoding) -> Int {
        encoding == .pcm16 ? 44 : 58
    }

    /// The header for `dataSize` bytes of `format` audio.
    static func bytes(format: AudioFormat, dataSize: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(58)
        let padded = dataSize + (dataSize % 2)
        let isPCM = format.encoding == .pcm16
        let blockAlign = UInt16(format.bytesPerFrame)
        out.append(contentsOf: Array("RIFF".utf8))
        out.appendLE(UInt32(clamping: (isPCM ? 36 : 50) + padded))
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        out.appendLE(UInt32(isPCM ? 16 : 18))
        out.appendLE(tag(for: format.encoding))
        out.appendLE(UInt16(format.channels))
        out.appendLE(UInt32(format.sampleRate))
        out.appendLE(UInt32(format.sampleRate) * UInt32(blockAlign))
        out.appendLE(blockAlign)
        out.appendLE(UInt16(format.encoding.bytesPerSample * 8))
        if !isPCM {
            out.appendLE(UInt16(0))  // cbSize
            out.append(contentsOf: Array("fact".utf8))
            out.appendLE(UInt32(4))
            out.appendLE(UInt32(clamping: dataSize / format.bytesPerFrame))
        }
        out.append(contentsOf: Array("data".utf8))
        out.appendLE(UInt32(clamping: dataSize))
        return out
    }

    /// Walks the chunks of a whole file and returns its format and data range.
    static func parse(_ raw: UnsafeRawBufferPointer) throws(AudioError) -> Parsed {
        guard raw.count >= 12 else { throw .wav(.truncatedHeader) }
        guard raw.fourCC(at: 0) == "RIFF", raw.fourCC(at: 8) == "WAVE" else { throw .wav(.notRIFFWave) }
        var offset = 12
        var format: AudioFormat?
        while offset + 8 <= raw.count {
            let id = raw.fourCC(at: offset)
            let size = Int(raw.uint32LE(at: offset + 4))
            let body = offset + 8
            let available = raw.count - body
            if id == "data" {
                guard let format else { throw .wav(.missingFormatChunk) }
                guard size <= available else {
                    throw .wav(.chunkPastEnd(chunkID: id, declaredSize: size, available: available))
                }
                guard size % format.bytesPerFrame == 0 else {
                    throw .wav(.partialSampleFrame(dataSize: size, blockAlign: format.bytesPerFrame))
                }
                return Parsed(format: format, dataRange: body..<(body + size))
            }
            guard size <= available else {
                throw .wav(.chunkPastEnd(chunkID: id, declaredSize: size, available: available))
            }
            if id == "fmt " {
                format = try parseFormat(raw, at: body, size: size)
            }
            offset = body + size + (size % 2)
        }
        throw .wav(format == nil ? .missingFormatChunk : .missingDataChunk)
    }

    private static func parseFormat(_ raw: UnsafeRawBufferPointer, at body: Int, size: Int) throws(AudioError) -> AudioFormat {
        guard size >= 16 else { throw .wav(.formatChunkTooShort(size)) }
        var tag = raw.uint16LE(at: body)
        let channels = raw.uint16LE(at: body + 2)
        let rate = raw.uint32LE(at: body + 4)
        let byteRate = raw.uint32LE(at: body + 8)
        let blockAlign = raw.uint16LE(at: body + 12)
        let bits = raw.uint16LE(at: body + 14)
        if tag == formatExtensible {
            // cbSize(2) validBits(2) channelMask(4) then the sub-format GUID, whose first two bytes are the tag.
            guard size >= 40 else { throw .wav(.formatChunkTooShort(size)) }
            tag = raw.uint16LE(at: body + 24)
        }
        let encoding: AudioEncoding
        switch tag {
        case formatPCM: encoding = .pcm16
        case formatALaw: encoding = .aLaw
        case formatMuLaw: encoding = .muLaw
        default: throw .wav(.unsupportedFormatTag(tag))
        }
        guard Int(bits) == encoding.bytesPerSample * 8 else { throw .wav(.unsupportedBitsPerSample(bits)) }
        guard channels == 1 || channels == 2 else { throw .wav(.invalidChannelCount(channels)) }
        guard rate > 0, rate <= UInt32(WAVFile.maximumSampleRate) else { throw .wav(.invalidSampleRate(rate)) }
        let expectedAlign = UInt16(encoding.bytesPerSample) * channels
        guard blockAlign == expectedAlign else {
            throw .wav(.inconsistentBlockAlign(declared: blockAlign, expected: expectedAlign))
        }
        let expectedByteRate = rate * UInt32(expectedAlign)
        guard byteRate == expectedByteRate else {
            throw .wav(.inconsistentByteRate(declared: byteRate, expected: expectedByteRate))
        }
        return AudioFormat(encoding: encoding, sampleRate: Int(rate), channels: Int(channels))
    }
}

extension UnsafeRawBufferPointer {
    func fourCC(at offset: Int) -> String {
        String(decoding: self[offset..<(offset + 4)], as: UTF8.self)
    }

    func uint16LE(at offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func uint32LE(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}

extension [UInt8] {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
}
