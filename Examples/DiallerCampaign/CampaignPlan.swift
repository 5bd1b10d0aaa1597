import Foundation

/// What the campaign calls and what each number does: three campaigns of two clients with
/// campaign and client quotas, and a deterministic mix of scripted answers.
struct CampaignPlan: Sendable {
    /// How a number answers (the twilio-fake `--numbers` script) and what its lead must end as.
    enum Script: String, Sendable, CaseIterable {
        case human, machine, busy, noAnswer = "no-answer", failed, invalid

        /// The lead's final outcome when no attempt was lost with a worker.
        var expectedOutcome: String {
            switch self {
            case .human: "answered"
            case .machine: "machine"
            case .busy: "busy"
            case .noAnswer: "no_answer"
            case .failed: "failed"
            case .invalid: "invalid_number"
            }
        }

        /// Whether the carrier retries this answer (busy, no-answer, failed).
        var isRetried: Bool { self == .busy || self == .noAnswer || self == .failed }
    }

    struct CampaignSpec: Sendable {
        var id: String
        var client: String
        var quota: Int
        var leads: Int
    }

    struct Lead: Sendable {
        var id: String
        var campaign: String
        var phone: String
        var script: Script
    }

    let campaigns: [CampaignSpec]
    let clientQuotas: [String: Int]
    let leads: [Lead]
    let maxAttempts: Int

    /// `total` leads split 35% / 35% / 30% over acme-a (quota 6), acme-b (quota 8) and globex
    /// (quota 10); client quotas acme 12, globex 9. The answer mix repeats every 20 leads:
    /// 10 human, 3 machine, 3 busy, 2 no-answer, 2 failed; every 40th lead is an invalid number.
    init(total: Int, maxAttempts: Int) {
        let a = total * 35 / 100
        let b = total * 35 / 100
        campaigns = [
            CampaignSpec(id: "acme-a", client: "acme", quota: 6, leads: a),
            CampaignSpec(id: "acme-b", client: "acme", quota: 8, leads: b),
            CampaignSpec(id: "globex", client: "globex", quota: 10, leads: total - a - b),
        ]
        clientQuotas = ["acme": 12, "globex": 9]
        self.maxAttempts = maxAttempts
        let pattern: [Script] = [
            .human, .human, .machine, .busy, .human, .noAnswer, .human, .failed, .human, .machine,
            .human, .busy, .human, .human, .noAnswer, .failed, .human, .machine, .busy, .human,
        ]
        var leads: [Lead] = []
        var index = 0
        for (c, campaign) in campaigns.enumerated() {
            for n in 0..<campaign.leads {
                let script: Script = index % 40 == 39 ? .invalid : pattern[index % pattern.count]
                leads.append(Lead(
                    id: campaign.id + "-" + String(format: "%03d", n + 1), campaign: campaign.id,
                    phone: String(format: "+1555%d%06d", c + 1, n + 1), script: script))
                index += 1
            }
        }
        self.leads = leads
    }

    var campaignOfPhone: [String: String] { Dictionary(uniqueKeysWithValues: leads.map { ($0.phone, $0.campaign) }) }
    var clientOfCampaign: [String: String] { Dictionary(uniqueKeysWithValues: campaigns.map { ($0.id, $0.client) }) }

    /// The twilio-fake `--numbers` file.
    func numbersJSON(ringMilliseconds: Int, speechSeconds: Double) throws -> Data {
        var numbers: [String: [String: String]] = [:]
        for lead in leads { numbers[lead.phone] = ["answer": lead.script.rawValue] }
        let object: [String: Any] = [
            "default": ["answer": "human"], "numbers": numbers, "ringMilliseconds": ringMilliseconds,
            "human": ["greetingTimeoutSeconds": 15, "speechSeconds": speechSeconds],
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// One campaign's leads as the CSV `call-dialler import` reads.
    func csv(campaign: String) -> String {
        var text = "id,phone,priority,script\n"
        for lead in leads where lead.campaign == campaign { text += "\(lead.id),\(lead.phone),0,\(lead.script.rawValue)\n" }
        return text
    }

    /// The workers' bots file: one bot with a short greeting and a voicemail policy.
    static let botsJSON = """
    {
      "bots": [
        {
          "id": "campaign",
          "systemPrompt": "You are Alex from Acme, calling about an appointment. Keep every answer to one short sentence.",
          "greeting": "Hi, this is Alex from Acme.",
          "voice": "alloy",
          "language": "en",
          "goodbye": "Goodbye!",
          "idle": { "prompt": "Are you still there?", "timeoutSeconds": 20, "maximumPrompts": 1 },
          "vad": { "stopHangoverMs": 500 },
          "voicemail": { "message": "Hi, this is Alex from Acme. Please call us back.", "policy": "leave" },
          "maximumDurationSeconds": 120
        }
      ]
    }
    """
}
