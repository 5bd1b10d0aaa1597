extension CallIdentity {
    /// A file-name stem unique to this call and stream, safe on any POSIX file system, used
    /// for spooled results and recordings alike.
    ///
    /// Injective for ids up to ``maximumStorageNameLength``: letters, digits and `-` are kept,
    /// every other byte becomes `_XX` (hex), so `CA/1`, `CA_1` and `CA.1` map to three names.
    /// Longer names keep a prefix and end in a 64-bit FNV-1a hash of the whole name.
    public var storageName: String {
        let escaped = Self.escapeForFileName(callID) + "~" + Self.escapeForFileName(streamID)
        guard escaped.utf8.count > Self.maximumStorageNameLength else { return escaped }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in escaped.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let prefix = String(escaped.utf8.prefix(Self.maximumStorageNameLength - 18)) ?? ""
        return prefix + "~h" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Longest ``storageName`` (bytes), well under the 255-byte limit of common file systems.
    public static let maximumStorageNameLength = 160

    static func escapeForFileName(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "_" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}
