// swift-tools-version: 6.1
// libFuzzer targets for the parsers that read network input (issue 13). A separate
// package, like Benchmarks/, so the main build never compiles them. Each executable
// exports `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`. Build and run them with
// `scripts/fuzz.sh [SECONDS]` (it passes `-sanitize=fuzzer -sanitize=address`).
import PackageDescription

let fuzzSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    // No `main.swift` and no `@main`: the entry point is libFuzzer's.
    .unsafeFlags(["-parse-as-library"]),
]

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: "swift-call-pipeline") },
        path: name,
        swiftSettings: fuzzSettings
    )
}

let package = Package(
    name: "Fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-call-pipeline", path: ".."),
    ],
    targets: [
        fuzzTarget("FuzzTwilioMessage", ["TwilioMediaStreams"]),
        fuzzTarget("FuzzWAV", ["CallAudio"]),
        fuzzTarget("FuzzSSE", ["SpeechServices"]),
        fuzzTarget("FuzzChatStream", ["OpenAIServices", "SpeechServices"]),
        fuzzTarget("FuzzTwilioForm", ["TwilioMediaStreams"]),
    ]
)
