// swift-tools-version:6.2
import PackageDescription

// One set of settings for every Swift target (Hummingbird / swift-log style).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    // The runtime's hot paths are single-threaded per worker by construction; dynamic exclusivity checks cost
    // several percent of message throughput, so release builds rely on the static checks only.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
    // The Lua binding is many tiny wrappers called from other modules on every message: let the optimizer
    // inline and specialize them across module boundaries.
    .unsafeFlags(["-cross-module-optimization"], .when(configuration: .release)),
]

let package = Package(
    name: "wippy-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wippy", targets: ["WippyCLI"]),
        .library(name: "WippyCore", targets: ["WippyCore"]),
        .library(name: "WippyLua", targets: ["WippyLua"]),
        .library(name: "WippyTypedLua", targets: ["WippyTypedLua"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // WebSocket frames, handshake and client (the `websocket_relay` middleware and the `websocket` module).
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    // Each target depends on exactly what it imports.
    targets: [
        // The C module of the Lua runtime: trampolines, preemption hook and coroutine wrappers over Debian's
        // liblua5.4 (apt-get install liblua5.4-dev). The only target that touches Lua's C API.
        // Linked from the static archive (`-l:liblua5.4.a`), as the stock `lua5.4` interpreter is: the same VM
        // from the shared library ran fib(30) about 12 % slower here (48 ms against 42.6 ms, a small C host
        // linked both ways), with the same instruction count.
        .target(
            name: "CLua",
            linkerSettings: [.linkedLibrary(":liblua5.4.a"), .linkedLibrary("m")]
        ),
        // One C function: SQLite's process-wide settings (`sqlite3_config` is variadic, which Swift cannot
        // call). Debian's libsqlite3, the library GRDB links.
        .target(
            name: "CSQLiteTuning",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        // Safe Swift surface over the C API. The only target that imports CLua.
        .target(
            name: "WippyLua",
            dependencies: ["CLua"],
            swiftSettings: swiftSettings
        ),
        // Wippy's typed Lua dialect: parser and line-preserving translation to Lua 5.4. Pure Swift.
        .target(
            name: "WippyTypedLua",
            swiftSettings: swiftSettings
        ),
        // Pure codecs: JSON, base64, UUID (name-based ones hashed with swift-crypto), Go durations and time
        // layouts. No Lua.
        .target(
            name: "WippyCodecs",
            dependencies: ["WippyCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Vocabulary and machinery with no Lua in it: entries, PIDs, payloads, scheduler, topology.
        .target(
            name: "WippyCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // Lua processes, functions and libraries on top of the core scheduler.
        .target(
            name: "WippyRuntime",
            dependencies: [
                "WippyCore", "WippyLua", "WippyTypedLua", "WippyCodecs",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                // NIOThreadPool: where natives run work that waits (disk, locks, network) off the workers.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Lua modules (process, channel, time, funcs, io, logger, json, errors, uuid, base64, ...).
        .target(
            name: "WippyModules",
            dependencies: [
                "WippyCore", "WippyLua", "WippyRuntime", "WippyCodecs", "WippyResources", "WippyHTTP",
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                // The `websocket` client module.
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "WSCompression", package: "swift-websocket"),
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Persistent stores: embedded SQLite (GRDB over Debian's libsqlite3-dev) for the registry history and
        // workflow journals; PostgreSQL (postgres-nio) for workflow journals shared by several nodes.
        .target(
            name: "WippyStore",
            dependencies: [
                "WippyCore", "CSQLiteTuning", .product(name: "GRDB", package: "GRDB.swift"),
                // SHA-256 checksums of workflow journal events.
                .product(name: "Crypto", package: "swift-crypto"),
                // The PostgreSQL workflow store: postgres-nio's client and pool, NIO's buffers and event loop
                // (each store runs on a thread of its own), NIOSSL for the `sslmode` option.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What resource entries open, with no Lua in it: SQL connections and pools (GRDB, postgres-nio),
        // key-value stores, queues, confined directories, child processes, environment variables.
        .target(
            name: "WippyResources",
            dependencies: [
                "WippyCore", "WippyStore", "WippyCodecs",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                // Outbound HTTP of the `http_client` module, on its shared event loop group.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The metrics collector of the `metrics` module and HTTP middleware, exposed for Prometheus.
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP server with no Lua in it: route tables (Go 1.22 ServeMux patterns and precedence), the
        // exchange a handler reads its request from and writes its response to, the Hummingbird 2 server.
        .target(
            name: "WippyHTTP",
            dependencies: [
                "WippyCore", "WippyCodecs",
                // Confined directories (static files, sendfile) and the metrics collector.
                "WippyResources",
                // gzip of the `compress` middleware.
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // `websocket_relay`: the upgrade pipeline (NIO's typed upgrader, HTTPTypes codec), frames (WSCore),
                // relay connections as processes (WippyCodecs: their JSON frames). TLS manual mode: HummingbirdTLS.
                .product(name: "WSCore", package: "swift-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // `req:parse_multipart`: a push parser that can spill a file part to disk as it arrives.
                .product(name: "MultipartKit", package: "multipart-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Composition root: project loading, entry kinds, configuration, boot and shutdown.
        .target(
            name: "WippyBoot",
            dependencies: [
                "WippyCore", "WippyRuntime", "WippyCodecs", "WippyStore", "WippyResources", "WippyHTTP",
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                // The runtime, control socket and file watcher are Services of `wippy run`'s ServiceGroup.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "WippyCLI",
            dependencies: [
                "WippyBoot", "WippyCore", "WippyRuntime", "WippyModules",
                // The read-only workflow store reader of `wippy workflow list|show`.
                "WippyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            // The binary allocates with jemalloc (Debian's libjemalloc), not glibc's malloc: processes are made
            // on one worker and often freed on another (a child taken by an idle worker), and glibc's arenas
            // pay for every such free with a lock and cache lines moving between cores. spawn_wait: 306k ->
            // 451k procs/s (medians of 4 alternating runs), the other workloads unchanged. Linked here only,
            // the one product: the libraries and their tests keep whatever allocator their host program has.
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .testTarget(name: "WippyLuaTests", dependencies: ["WippyLua"], swiftSettings: swiftSettings),
        .testTarget(name: "WippyTypedLuaTests", dependencies: ["WippyTypedLua"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WippyHTTPTests",
            dependencies: [
                "WippyHTTP", "WippyResources", "WippyCore", "WippyTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "WippyCodecsTests", dependencies: ["WippyCodecs", "WippyCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WippyCoreTests",
            dependencies: ["WippyCore", .product(name: "HashTreeCollections", package: "swift-collections")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WippyRuntimeTests",
            dependencies: ["WippyRuntime", "WippyCore", "WippyLua", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WippyModulesTests",
            dependencies: [
                "WippyModules", "WippyRuntime", "WippyCore", "WippyLua", "WippyResources", "WippyStore", "WippyTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WippyResourcesTests",
            dependencies: [
                "WippyResources", "WippyCore", "WippyStore", "WippyTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WippyBootTests",
            dependencies: [
                "WippyBoot", "WippyCore", "WippyModules", "WippyRuntime", "WippyResources", "WippyHTTP", "WippyTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                // WebSocket clients of the relay tests.
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WippyStoreTests",
            dependencies: [
                "WippyStore", "WippyBoot", "WippyCore", "WippyTestSupport", "WippyResources", "WippyModules", "WippyRuntime",
                .product(name: "GRDB", package: "GRDB.swift"),
                // A second connection to the PostgreSQL test server: schemas per test, tampering, observing.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What several test targets share: the throwaway PostgreSQL server of the tests, the
        // loopback HTTP server that `http_client` calls, the temporary paths removed at exit.
        .target(
            name: "WippyTestSupport",
            dependencies: [
                "WippyStore", "WippyCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/WippyTestSupport",
            swiftSettings: swiftSettings
        ),
        // Runs the built `wippy` binary (the dependency makes sure it is built first).
        .testTarget(
            name: "WippyIntegrationTests",
            // GRDB: a second connection that holds the registry history's lock while `wippy run` boots.
            // WippyStore: fills workflow stores that `wippy workflow list|show` then reads.
            // WippyTestSupport: the PostgreSQL server that several nodes share.
            dependencies: [
                "WippyCLI", "WippyStore", "WippyCore", "WippyTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
