import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WippyCore
import WippyRuntime
import WSClient
import WippyLua
import WSCompression
import WSCore

/// One outbound WebSocket of the `websocket` module (lua-api-io §4): swift-websocket's client runs the
/// connection on NIO's event loops; what it receives is handed to the owning process's worker in batches
/// (one pending completion at a time) and delivered into the connection's Lua channel, which has no size
/// limit, so a slow reader never loses a message. The channel closes after the last message once the
/// connection ended.
final class WebSocketClientConnection: @unchecked Sendable {
    struct Options: Sendable {
        var headers: [(String, String)] = []
        var protocols: [String] = []
        var dialTimeout: Duration = .seconds(30)
        var writeTimeout: Duration?
        /// The longest wait for a message from the server; past it the connection is closed (the channel
        /// closes), as a read deadline ends a Go connection.
        var readTimeout: Duration?
        var readLimit = 32 << 20
        var compression = Compression.disabled
        /// Messages smaller than this go uncompressed (when compression is on).
        var compressionThreshold = 256
    }

    /// `compression`: permessage-deflate, offered to the server during the handshake.
    enum Compression: Sendable {
        case disabled
        case contextTakeover
        case noContextTakeover
    }

    enum Inbound: Sendable {
        case text(String)
        case binary([UInt8])
    }

    private struct Shared {
        var queue: [Inbound] = []
        var ended = false
        /// The worker completion waiting for the next batch.
        var armed: (cell: ProcessCell, token: UInt64)?
        var writer: WebSocketOutboundWriter?
        var task: Task<Void, Never>?
        var connectDone: (@Sendable (Result<Void, WippyError>) -> Void)?
    }

    private let shared = Mutex(Shared())
    // Worker-only (the owning process's worker).
    weak var process: LuaProcess?
    var channel: LuaChannel?
    var cleanup: UInt64 = 0

    /// Connects; `done` runs once: connected, or the dial failed or timed out.
    func start(url: String, options: Options, done: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        shared.withLock { $0.connectDone = done }
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
        for (name, value) in options.headers {
            if let field = HTTPField.Name(name) { configuration.additionalHeaders.append(HTTPField(name: field, value: value)) }
        }
        if !options.protocols.isEmpty { configuration.additionalHeaders[.secWebSocketProtocol] = options.protocols.joined(separator: ", ") }
        if options.compression != .disabled {
            configuration.extensions = [
                WebSocketExtensionFactory.perMessageDeflate(
                    noContextTakeover: options.compression == .noContextTakeover, maxDecompressedFrameSize: options.readLimit,
                    minFrameSizeToCompress: options.compressionThreshold
                ).build()
            ]
        }
        writeTimeout = options.writeTimeout
        let readLimit = options.readLimit
        let readTimeout = options.readTimeout
        let task = Task { [self] in
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: Self.logger) { inbound, outbound, _ in
                    self.shared.withLock { $0.writer = outbound }
                    self.resolveConnect(.success(()))
                    var messages = inbound.messages(maxSize: readLimit).makeAsyncIterator()
                    while let message = try? await Self.next(&messages, within: readTimeout) {
                        switch message {
                        case .text(let text): self.enqueue(.text(text))
                        case .binary(let buffer): self.enqueue(.binary(Array(buffer.readableBytesView)))
                        }
                    }
                }
                resolveConnect(.failure(WippyError("websocket: connection closed during the handshake", kind: .internal, retryable: true)))
            } catch {
                resolveConnect(.failure(WippyError("websocket: cannot connect to \(url): \(error)", kind: .internal, retryable: true)))
            }
            shared.withLock { $0.writer = nil }
            finishInbound()
        }
        shared.withLock { $0.task = task }
        let timeout = options.dialTimeout
        Task { [self] in
            try? await Task.sleep(for: timeout)
            if resolveConnect(.failure(WippyError("websocket: dial timed out after \(timeout)", kind: .timeout, retryable: true))) {
                task.cancel()
            }
        }
    }

    static let logger = Logger(label: "wippy.websocket")

    /// Set once by ``start(url:options:done:)``, before any write.
    private nonisolated(unsafe) var writeTimeout: Duration?

    /// The next message, or `nil` when the connection ended or `timeout` passed without one (the caller
    /// then leaves the session, which closes the connection).
    private static func next(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator, within timeout: Duration?
    ) async throws -> WebSocketMessage? {
        guard let timeout else { return try await messages.next() }
        var iterator = messages
        defer { messages = iterator }
        return try await withThrowingTaskGroup(of: WebSocketMessage?.self) { group in
            nonisolated(unsafe) var reading = iterator
            group.addTask {
                let message = try await reading.next()
                return message
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            iterator = reading
            return first
        }
    }

    /// Answers the pending `connect` once; true when this call did.
    @discardableResult
    private func resolveConnect(_ result: Result<Void, WippyError>) -> Bool {
        guard let done = shared.withLock({ state -> (@Sendable (Result<Void, WippyError>) -> Void)? in
            defer { state.connectDone = nil }
            return state.connectDone
        }) else { return false }
        done(result)
        return true
    }

    // MARK: - Worker side

    /// Binds the connection to its process and channel (on the process's worker) and starts delivery.
    func attach(process: LuaProcess, channel: LuaChannel) {
        self.process = process
        self.channel = channel
        cleanup = process.addCleanup { [self] in abort() }
        arm()
    }

    private func arm() {
        guard let process else { return }
        let token = process.expectCompletion { [self] _ in drain() }
        let ready = shared.withLock { state -> Bool in
            state.armed = (process.cell, token)
            return !state.queue.isEmpty || state.ended
        }
        if ready { fire() }
    }

    private func drain() {
        guard let process, let channel else { return }
        let (items, ended) = shared.withLock { state -> ([Inbound], Bool) in
            defer { state.queue = [] }
            return (state.queue, state.ended)
        }
        let worker = process.workerState
        for item in items {
            process.deliver(into: channel) { lua in
                lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
                switch item {
                case .text(let text):
                    lua.push("text")
                    lua.rawSet(-2, key: "type")
                    lua.push(text)
                case .binary(let bytes):
                    lua.push("binary")
                    lua.rawSet(-2, key: "type")
                    lua.push(bytes: bytes)
                }
                lua.rawSet(-2, key: "data")
                _ = worker
            }
        }
        if ended {
            process.closeChannel(channel)
            process.cancelCleanup(cleanup)
            // The channel anchors Lua values: it must be released here, on its worker, never by the network
            // side's last reference to this connection (on another thread, maybe after the state closed).
            self.channel = nil
        } else {
            arm()
        }
    }

    // MARK: - Network side

    private func fire() {
        guard let armed = shared.withLock({ state -> (cell: ProcessCell, token: UInt64)? in
            defer { state.armed = nil }
            return state.armed
        }) else { return }
        armed.cell.worker.complete(armed.cell, token: armed.token, .custom(0))
    }

    private func enqueue(_ item: Inbound) {
        shared.withLock { $0.queue.append(item) }
        fire()
    }

    private func finishInbound() {
        shared.withLock { $0.ended = true }
        fire()
    }

    /// The process ended (on its worker): drop the connection, and the channel with its anchored values.
    func abort() {
        channel = nil
        process = nil
        shared.withLock { $0.task }?.cancel()
    }

    // MARK: - Writes

    /// Sends a frame; `done` gets the outcome.
    func write(_ frame: WebSocketOutboundWriter.OutboundFrame, done: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        guard let writer = shared.withLock({ $0.writer }) else { return done(.failure(.internal("websocket: connection is closed"))) }
        let timeout = writeTimeout
        Task { [self] in
            do {
                guard let timeout else {
                    try await writer.write(frame)
                    return done(.success(()))
                }
                let written = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await writer.write(frame)
                        return true
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        return false
                    }
                    let first = try await group.next() ?? false
                    group.cancelAll()
                    return first
                }
                if written { return done(.success(())) }
                // A write that cannot finish in time leaves the connection in an unknown state: end it.
                shared.withLock { $0.task }?.cancel()
                done(.failure(WippyError("websocket: write timed out after \(timeout)", kind: .timeout, retryable: true)))
            } catch {
                done(.failure(.internal("websocket: write failed: \(error)")))
            }
        }
    }

    /// Starts the closing handshake; `done` runs when the close frame was sent (or the connection is gone).
    func close(code: Int, reason: String, done: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        guard let writer = shared.withLock({ $0.writer }) else { return done(.success(())) }
        Task {
            try? await writer.close(WebSocketErrorCode(codeNumber: code), reason: reason.isEmpty ? nil : reason)
            done(.success(()))
        }
    }
}
