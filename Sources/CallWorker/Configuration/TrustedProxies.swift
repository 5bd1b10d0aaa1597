import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The peers whose `X-Forwarded-Proto` the worker believes (`TRUSTED_PROXIES`: IPv4/IPv6
/// addresses or CIDR blocks, comma-separated, for example `10.0.0.0/8,::1`).
///
/// Only the scheme is ever taken from a proxy: the host and port of a signed URL always come
/// from `PUBLIC_HOST`, and `X-Forwarded-Host` / `X-Forwarded-Port` are ignored. From any
/// other peer every forwarding header is ignored. Empty by default (no proxy trusted).
public struct TrustedProxies: Sendable, Hashable, CustomStringConvertible {
    struct Block: Sendable, Hashable {
        var address: [UInt8]   // 4 or 16 bytes
        var prefixLength: Int
    }

    private(set) var blocks: [Block]

    /// Trusts nobody.
    public static let none = TrustedProxies(blocks: [])

    init(blocks: [Block]) {
        self.blocks = blocks
    }

    /// Parses a comma-separated list; nil when an entry is not an address or CIDR block.
    public init?(parsing list: String) {
        var blocks: [Block] = []
        for raw in list.split(separator: ",") {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = Self.bytes(String(parts[0])) else { return nil }
            var prefix = address.count * 8
            if parts.count == 2 {
                guard let value = Int(parts[1]), (0...address.count * 8).contains(value) else { return nil }
                prefix = value
            }
            blocks.append(Block(address: address, prefixLength: prefix))
        }
        self.blocks = blocks
    }

    /// Whether no proxy is trusted.
    public var isEmpty: Bool { blocks.isEmpty }

    /// Whether the peer at `ipAddress` (as NIO's `SocketAddress.ipAddress` prints it) is trusted.
    /// An IPv4-mapped IPv6 peer (`::ffff:10.0.0.1`) matches IPv4 blocks.
    public func contains(ipAddress: String?) -> Bool {
        guard let ipAddress, var address = Self.bytes(ipAddress) else { return false }
        if address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            address = Array(address[12...])
        }
        return blocks.contains { block in
            guard block.address.count == address.count else { return false }
            var remaining = block.prefixLength
            for i in 0..<address.count where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[i] & mask != block.address[i] & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    /// The list as configured (for the startup line).
    public var description: String {
        blocks.isEmpty ? "none" : blocks.map { "\(Self.text($0.address))/\($0.prefixLength)" }.joined(separator: ",")
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    static func text(_ bytes: [UInt8]) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil }
        return ok ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
    }
}
