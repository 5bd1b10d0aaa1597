import AsyncHTTPClient
import CallTesting
import OpenAIServices
import SpeechServices

/// The API key the wire server expects in these tests.
let testAPIKey = "sk-test-SECRET-0123456789"

/// An OpenAI client pointed at `server`, on the process-wide shared HTTP client.
func makeClient(_ server: OpenAIWireServer, apiKey: String = testAPIKey) -> OpenAIClient {
    OpenAIClient(
        configuration: OpenAIConfiguration(apiKey: OpenAIAPIKey(apiKey), baseURL: server.baseURL, organization: "org-test", project: "proj-test"),
        httpClient: .shared
    )
}

/// Runs `body` with a wire server that checks the test API key.
func withWireServer<T: Sendable>(_ body: (OpenAIWireServer) async throws -> T) async throws -> T {
    try await OpenAIWireServer.withRunningServer(expectedAPIKey: testAPIKey, body)
}

/// Concatenated text deltas.
func text(of events: [LLMEvent]) -> String {
    events.compactMap { event -> String? in
        if case .textDelta(let text) = event { return text }
        return nil
    }.joined()
}

let chatRequest = ChatRequest(messages: [.system("You are a receptionist."), .user("Hi")])
let callContext = ProviderCallContext(callSID: "CA-wire-test")
