// swift-tools-version: 6.1
import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "swift-call-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CallAudio", targets: ["CallAudio"]),
        .executable(name: "audio-convert", targets: ["AudioConvert"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSoxr",
            pkgConfig: "soxr",
            providers: [.apt(["libsoxr-dev"])]
        ),
        .target(
            name: "CallAudio",
            dependencies: ["CSoxr"],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "AudioConvert",
            dependencies: ["CallAudio"],
            path: "Examples/AudioConvert",
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "CallAudioTests",
            dependencies: ["CallAudio", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
    ]
)
