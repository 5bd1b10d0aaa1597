import CallWorker
import Foundation
import Testing

/// The Kubernetes Deployment in `deploy/k8s/deployment.yaml` against the worker's own numbers:
/// the pod's termination grace period must cover the preStop sleep plus the worker's drain
/// budget plus a margin, so Kubernetes never SIGKILLs a worker that is still draining calls.
/// The manifest is read with simple line parsing (the fields checked are plain scalars).
@Suite struct DeploymentManifestTests {
    /// Seconds left between the end of the drain and the orchestrator's SIGKILL.
    static let margin = 5

    @Test func terminationGraceCoversPreStopSleepAndDrainBudget() throws {
        let manifest = try DeploymentManifest.load()
        let grace = try #require(manifest.integer("terminationGracePeriodSeconds"), "terminationGracePeriodSeconds missing")
        let preStop = try #require(manifest.preStopSleepSeconds(), "preStop sleep missing")
        let defaultBudget = Int(WorkerConfiguration.defaultDrainBudget.components.seconds)
        let budget = try manifest.environment["DRAIN_BUDGET"].map { raw in
            try #require(Int(raw), "DRAIN_BUDGET \"\(raw)\" is not whole seconds")
        } ?? defaultBudget
        #expect(preStop > 0, "the preStop sleep lets endpoints drop the pod before SIGTERM")
        #expect(
            grace >= preStop + budget + Self.margin,
            "terminationGracePeriodSeconds \(grace) < preStop \(preStop) + drain budget \(budget) + margin \(Self.margin)"
        )
    }

    @Test func drainBudgetInManifestIsTheWorkerDefault() throws {
        let manifest = try DeploymentManifest.load()
        let defaultBudget = Int(WorkerConfiguration.defaultDrainBudget.components.seconds)
        if let raw = manifest.environment["DRAIN_BUDGET"] {
            #expect(Int(raw) == defaultBudget, "manifest DRAIN_BUDGET \(raw) differs from WorkerConfiguration.defaultDrainBudget \(defaultBudget)")
        }
    }

    @Test func plainEnvironmentValuesAreAcceptedByTheWorker() throws {
        let manifest = try DeploymentManifest.load()
        #expect(manifest.environment["MAX_CONCURRENT_CALLS"] == "1", "one call per worker pod")
        // Secrets come from a Secret at run time: stand-ins for the ones the worker needs to start.
        var environment = manifest.environment
        for name in ["TWILIO_AUTH_TOKEN", "OPENAI_API_KEY", "RESULT_WEBHOOK_SECRET"] where manifest.valueFromNames.contains(name) {
            environment[name] = "stand-in-for-secret"
        }
        #expect(manifest.valueFromNames.contains("TWILIO_AUTH_TOKEN"), "Twilio signatures enforced in production")
        let configuration = try WorkerConfiguration.fromEnvironment(environment)
        #expect(configuration.maximumConcurrentCalls == 1)
        #expect(String(configuration.port) == manifest.integer("containerPort").map(String.init))
    }

    @Test func probesUseHealthAndReadiness() throws {
        let manifest = try DeploymentManifest.load()
        #expect(manifest.probePath("livenessProbe") == "/health")
        #expect(manifest.probePath("readinessProbe") == "/health/ready")
        #expect(manifest.probePath("startupProbe") == "/health")
    }
}

/// The lines of the Deployment manifest, with the few lookups the checks need.
struct DeploymentManifest {
    let lines: [Substring]

    static func load() throws -> DeploymentManifest {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("deploy/k8s/deployment.yaml"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            // Drops comments (the checked values never contain '#').
            if let hash = line.firstIndex(of: "#") { return line[..<hash] }
            return line
        }
        return DeploymentManifest(lines: lines)
    }

    static func indentation(_ line: Substring) -> Int { line.prefix { $0 == " " }.count }

    static func scalar(_ raw: Substring) -> String {
        raw.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
    }

    /// The value of the first `key: value` line.
    func value(_ key: String) -> String? {
        for line in lines {
            let trimmed = line.drop { $0 == " " || $0 == "-" }
            if trimmed.hasPrefix(key + ":") { return Self.scalar(trimmed.dropFirst(key.count + 1)) }
        }
        return nil
    }

    func integer(_ key: String) -> Int? { value(key).flatMap { Int($0) } }

    /// The lines nested under the first line `key:` (deeper indentation).
    func block(_ key: String) -> [Substring] {
        guard let start = lines.firstIndex(where: { $0.drop { $0 == " " || $0 == "-" }.hasPrefix(key + ":") }) else { return [] }
        let depth = Self.indentation(lines[start])
        var body: [Substring] = []
        for line in lines[(start + 1)...] {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if Self.indentation(line) <= depth { break }
            body.append(line)
        }
        return body
    }

    /// Seconds of the preStop hook: `exec: command: ["/bin/sleep", "N"]` or `sleep: seconds: N`.
    func preStopSleepSeconds() -> Int? {
        let hook = block("preStop").joined(separator: "\n")
        guard let match = hook.firstMatch(of: /sleep"?\s*,\s*"?(\d+)|seconds:\s*(\d+)/) else { return nil }
        return Int(match.1 ?? match.2 ?? "")
    }

    /// The `path:` of a probe's httpGet.
    func probePath(_ probe: String) -> String? {
        for line in block(probe) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("path:") { return Self.scalar(trimmed.dropFirst(5)) }
        }
        return nil
    }

    /// The container's plain `env:` entries (`- name: X` + `value: Y`); `valueFrom` entries are in ``valueFromNames``.
    var environment: [String: String] { environmentEntries().plain }

    /// Names of the `env:` entries set with `valueFrom` (secrets, field references).
    var valueFromNames: Set<String> { environmentEntries().valueFrom }

    private func environmentEntries() -> (plain: [String: String], valueFrom: Set<String>) {
        var plain: [String: String] = [:]
        var valueFrom: Set<String> = []
        var name: String?
        for line in block("env") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("- name:") {
                name = Self.scalar(trimmed.dropFirst(7))
            } else if let current = name, trimmed.hasPrefix("value:") {
                plain[current] = Self.scalar(trimmed.dropFirst(6))
                name = nil
            } else if let current = name, trimmed.hasPrefix("valueFrom:") {
                valueFrom.insert(current)
                name = nil
            }
        }
        return (plain, valueFrom)
    }
}
