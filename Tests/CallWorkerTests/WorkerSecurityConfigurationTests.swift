import CallWorker
import Testing

/// `TWILIO_SIGNATURES`, `TWILIO_AUTH_TOKEN` + `PUBLIC_HOST`, the stream-token and HTTP
/// settings, and the trusted-proxy list.
@Suite struct WorkerSecurityConfigurationTests {
    func rejected(_ environment: [String: String]) -> String? {
        do {
            _ = try WorkerConfiguration.fromEnvironment(environment)
            return nil
        } catch {
            if case .invalidVariable(let name, _) = error { return name }
            return "other"
        }
    }

    @Test func signaturesFailClosed() throws {
        #expect(rejected([:]) == "TWILIO_AUTH_TOKEN")
        #expect(rejected(["TWILIO_SIGNATURES": "on"]) == "TWILIO_AUTH_TOKEN")
        #expect(rejected(["TWILIO_AUTH_TOKEN": "t"]) == "PUBLIC_HOST")
        #expect(rejected(["TWILIO_SIGNATURES": "false"]) == "TWILIO_SIGNATURES")
        #expect(rejected(["TWILIO_SIGNATURES": "0"]) == "TWILIO_SIGNATURES")
        let off = try WorkerConfiguration.fromEnvironment(["TWILIO_SIGNATURES": "off"])
        #expect(off.security.signatures == .off)
        let on = try WorkerConfiguration.fromEnvironment(["TWILIO_AUTH_TOKEN": "t", "PUBLIC_HOST": "w.example.com:8443"])
        #expect(on.security.signatures == .enforced)
        #expect(on.security.streamTokenLifetime == .seconds(60))
        #expect(on.security.trustedProxies.isEmpty)
        #expect(on.security.headerTimeout == .seconds(10) && on.security.idleTimeout == .seconds(30))
        #expect(on.security.maximumConnections == 1024)
        #expect(on.startupSummary["stream_token"] == "derived from auth token")
        // The in-process default is enforced too; the development preset is the only "off".
        #expect(WorkerConfiguration().security.signatures == .enforced)
        #expect(WorkerSecurityConfiguration.development.signatures == .off)
    }

    @Test func streamTokenHTTPAndProxySettings() throws {
        let base = ["TWILIO_AUTH_TOKEN": "t", "PUBLIC_HOST": "w"]
        let configuration = try WorkerConfiguration.fromEnvironment(base.merging([
            "STREAM_TOKEN_SECRET": String(repeating: "s", count: 32), "STREAM_TOKEN_TTL": "30",
            "TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7,fd00::/8", "HTTP_HEADER_TIMEOUT": "5", "HTTP_IDLE_TIMEOUT": "60",
            "MAX_CONNECTIONS": "300",
        ]) { $1 })
        let security = configuration.security
        #expect(security.streamTokenLifetime == .seconds(30))
        #expect(security.headerTimeout == .seconds(5) && security.idleTimeout == .seconds(60))
        #expect(security.maximumConnections == 300)
        #expect(configuration.startupSummary["stream_token"] == "STREAM_TOKEN_SECRET")
        #expect(!configuration.startupSummary.values.contains { $0.contains("ssss") })
        #expect(security.trustedProxies.description == "10.0.0.0/8,192.168.1.7/32,fd00::/8")
        for (name, value) in [
            ("STREAM_TOKEN_SECRET", "short"), ("STREAM_TOKEN_TTL", "1"), ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.internal"), ("HTTP_HEADER_TIMEOUT", "0"), ("HTTP_IDLE_TIMEOUT", "x"), ("MAX_CONNECTIONS", "1"),
        ] {
            #expect(rejected(base.merging([name: value]) { $1 }) == name, "\(name)=\(value)")
        }
    }

    @Test func trustedProxiesMatchAddressesAndBlocks() throws {
        let proxies = try #require(TrustedProxies(parsing: "10.0.0.0/8,192.168.1.7,fd00::/8,::1"))
        #expect(proxies.contains(ipAddress: "10.1.2.3"))
        #expect(proxies.contains(ipAddress: "192.168.1.7"))
        #expect(!proxies.contains(ipAddress: "192.168.1.8"))
        #expect(!proxies.contains(ipAddress: "11.0.0.1"))
        #expect(proxies.contains(ipAddress: "fd12::5"))
        #expect(proxies.contains(ipAddress: "::1"))
        #expect(!proxies.contains(ipAddress: "fe80::1"))
        #expect(proxies.contains(ipAddress: "::ffff:10.9.9.9"))
        #expect(!proxies.contains(ipAddress: nil))
        #expect(!proxies.contains(ipAddress: "not an address"))
        #expect(!TrustedProxies.none.contains(ipAddress: "127.0.0.1"))
        #expect(TrustedProxies(parsing: "0.0.0.0/0")?.contains(ipAddress: "8.8.8.8") == true)
    }
}
