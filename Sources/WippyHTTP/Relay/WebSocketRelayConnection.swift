import Logging
import NIOCore
import Synchronization
import WippyCodecs
import WippyCore
import NIOWebSocket
import WSCore

/// One relayed WebSocket connection (lua-api-io §1.5): a process of its own (its PID is what the target
/// process sends to) between a client and a target process.
///
/// - To the target, from the connection's PID: `ws.join` `{client_pid, metadata}` once, every client frame
///   as the header's message topic `{client_pid, data}`, `ws.heartbeat` `{client_pid}` every heartbeat
///   interval, `ws.leave` `{client_pid}` when the socket closed.
/// - To the connection: `ws.close` (`{code?, reason?}`) closes the socket; `ws.control` `{target_pid?,
///   message_topic?}` moves the connection to another process or topic; any other topic goes to the client
///   as a TEXT frame `{"topic":…,"data":…}` (bytes that are not UTF-8 base64-encoded).
/// - The connection monitors its target: when the target exits, the socket closes (1001).
///
/// The connection's process never runs Lua: its behaviour hands each message to the socket's writer task
/// on the worker that delivered it, without blocking it (a process sending faster than the client reads is
/// never made to wait). That queue is bounded (``RelayBacklog``): past `host.buffer_size` messages, or 16 MiB,
/// the client is not reading; it is dropped at once (no close handshake: its socket would not take one),
/// with a warning naming it, and the target hears `ws.leave` as for any client that left. The session ends
/// the process when the socket closes, so monitors of the connection see it exit.
final class WebSocketRelayConnection: Sendable {
    enum Outgoing: Sendable {
        case text(String)
        case close(code: WebSocketErrorCode, reason: String)
    }

    let node: Node
    let host: ProcessHost
    let heartbeat: Duration?
    let metadata: Payload
    let logger: Logger
    private let route: Mutex<(target: PID, topic: String)>
    private let pid = Mutex<PID?>(nil)
    private let outgoing: AsyncStream<Outgoing>
    private let continuation: AsyncStream<Outgoing>.Continuation
    /// What the writer has not written yet; `dropped` once the client was dropped for not reading.
    private let backlog = Mutex<(messages: Int, bytes: Int, dropped: Bool)>((0, 0, false))
    private let abort = Mutex<(@Sendable () -> Void)?>(nil)
    /// The most messages queued for the client (`host.buffer_size`).
    let bufferSize: Int
    /// Largest client message relayed (bigger ones close the socket with 1009).
    static let maxMessageSize = 16 << 20

    init(node: Node, host: ProcessHost, header: WebSocketRelayHeader, bufferSize: Int, logger: Logger) {
        self.node = node
        self.host = host
        self.heartbeat = header.heartbeat
        self.metadata = header.metadata
        self.bufferSize = bufferSize
        self.logger = logger
        route = Mutex((header.target, header.messageTopic))
        (outgoing, continuation) = AsyncStream.makeStream(of: Outgoing.self, bufferingPolicy: .unbounded)
    }

    /// Runs the relay until the socket closes (either side) or the target exits.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, abort: @escaping @Sendable () -> Void) async {
        self.abort.withLock { $0 = abort }
        let pid = node.spawn(on: host, starter: WebSocketRelayProcess.Starter(connection: self))
        self.pid.withLock { $0 = pid }
        let clientPID = Payload.string(pid.description)
        let target = route.withLock { $0.target }
        do throws(WippyError) {
            try node.monitor(watcher: pid, target: target)
        } catch {
            logger.warning("websocket_relay: target process \(target) is gone: \(error.message)")
            try? await outbound.close(.goingAway, reason: "target process exited")
            node.terminate(pid, result: ProcessResult())
            return
        }
        sendToTarget("ws.join", ["client_pid": clientPID, "metadata": metadata], from: pid)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in
                var messages = inbound.messages(maxSize: Self.maxMessageSize).makeAsyncIterator()
                while let message = try? await messages.next() {
                    let data: Payload
                    switch message {
                    case .text(let text): data = .string(text)
                    case .binary(let buffer): data = .bytes(Array(buffer.readableBytesView))
                    }
                    let topic = route.withLock { $0.topic }
                    sendToTarget(topic, ["client_pid": clientPID, "data": data], from: pid)
                }
            }
            group.addTask { [self] in
                for await item in outgoing {
                    switch item {
                    case .text(let text):
                        do {
                            try await outbound.write(.text(text))
                        } catch {
                            return
                        }
                        backlog.withLock { state in
                            state.messages -= 1
                            state.bytes -= text.utf8.count
                        }
                    case .close(let code, let reason):
                        try? await outbound.close(code, reason: reason)
                        return
                    }
                }
            }
            if let heartbeat {
                group.addTask { [self] in
                    while (try? await Task.sleep(for: heartbeat)) != nil {
                        sendToTarget("ws.heartbeat", ["client_pid": clientPID], from: pid)
                    }
                }
            }
            // The reader ends when the client closed (or answered our close); the writer when we closed.
            await group.next()
            group.cancelAll()
        }
        continuation.finish()
        let current = route.withLock { $0.target }
        node.unmonitor(watcher: pid, target: current)
        sendToTarget("ws.leave", ["client_pid": clientPID], from: pid)
        node.terminate(pid, result: ProcessResult())
    }

    private func sendToTarget(_ topic: String, _ fields: KeyValuePairs<String, Payload>, from pid: PID) {
        var table = PayloadTable(isObject: true)
        for (key, value) in fields { table[key] = value }
        let target = route.withLock { $0.target }
        node.send(to: target, .message(Message(from: pid, topic: topic, payloads: [.table(table)])))
    }

    /// A mailbox item for the connection's process (on the worker that delivered it; never blocks).
    func receive(_ item: MailboxItem) {
        switch item {
        case .message(let message):
            let data = message.payloads.first ?? .null
            switch message.topic {
            case "ws.close":
                var code = WebSocketErrorCode.normalClosure
                var reason = ""
                if case .table(let table) = data {
                    if let value = table["code"]?.intValue, (1000...4999).contains(value) { code = WebSocketErrorCode(codeNumber: Int(value)) }
                    reason = table["reason"]?.stringValue ?? ""
                }
                continuation.yield(.close(code: code, reason: reason))
            case "ws.control":
                guard case .table(let table) = data else { return }
                control(target: table["target_pid"]?.stringValue, topic: table["message_topic"]?.stringValue)
            default:
                let text = Self.frame(topic: message.topic, data: data)
                if admit(text.utf8.count) { continuation.yield(.text(text)) }
            }
        case .event(.exit(let from, _)):
            guard from == route.withLock({ $0.target }) else { return }
            continuation.yield(.close(code: .goingAway, reason: "target process exited"))
        case .event:
            return
        }
    }

    /// Whether a message of `size` bytes may join the client's queue; when it would overflow it, the client is
    /// dropped (once) and nothing more is queued.
    private func admit(_ size: Int) -> Bool {
        let overflow = backlog.withLock { state -> (messages: Int, bytes: Int)? in
            if state.dropped { return nil }
            if RelayBacklog.overflows(messages: state.messages + 1, bytes: state.bytes + size, limit: bufferSize) {
                state.dropped = true
                return (state.messages, state.bytes)
            }
            state.messages += 1
            state.bytes += size
            return nil
        }
        guard let overflow else { return !backlog.withLock { $0.dropped } }
        let client = pid.withLock { $0 }.map { "\($0)" } ?? "?"
        logger.warning(
            "websocket_relay: client \(client) is not reading (\(overflow.messages) messages, \(overflow.bytes) bytes queued; \(RelayBacklog.describe(limit: bufferSize))): dropping the connection")
        abort.withLock { $0 }?()
        return false
    }

    /// `ws.control`: a new target (monitored instead of the old one) and/or message topic.
    private func control(target text: String?, topic: String?) {
        guard let pid = pid.withLock({ $0 }) else { return }
        if let topic, !topic.isEmpty { route.withLock { $0.topic = topic } }
        guard let text, let newTarget = PID(parsing: text) else { return }
        let old = route.withLock { state -> PID in
            let old = state.target
            state.target = newTarget
            return old
        }
        guard old != newTarget else { return }
        node.unmonitor(watcher: pid, target: old)
        do throws(WippyError) {
            try node.monitor(watcher: pid, target: newTarget)
        } catch {
            continuation.yield(.close(code: .goingAway, reason: "target process exited"))
        }
    }

    /// `{"topic":…,"data":…}`; bytes that are not UTF-8 travel base64-encoded.
    static func frame(topic: String, data: Payload) -> String {
        var data = data
        if case .bytes(let bytes) = data, String(validating: bytes, as: UTF8.self) == nil { data = .string(Base64Codec.encode(bytes)) }
        let topicJSON = (try? JSONCodec.encodeString(.string(topic))) ?? "\"\""
        let dataJSON = (try? JSONCodec.encodeString(data)) ?? "null"
        return "{\"topic\":\(topicJSON),\"data\":\(dataJSON)}"
    }
}

/// The process behaviour of a relay connection: every mailbox item goes straight to the connection.
final class WebSocketRelayProcess: ProcessBehavior {
    let connection: WebSocketRelayConnection

    init(connection: WebSocketRelayConnection) { self.connection = connection }

    final class Starter: ProcessStarter {
        let connection: WebSocketRelayConnection
        init(connection: WebSocketRelayConnection) { self.connection = connection }

        func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
            WebSocketRelayProcess(connection: connection)
        }
    }

    func run(_ process: ProcessCell) -> ProcessRunOutcome {
        while let item = process.takeFromMailbox(where: { _ in true }) { connection.receive(item) }
        return .blocked
    }

    func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
        connection.receive(item)
        return .taken(schedule: false)
    }

    func mailboxReceived(_ process: ProcessCell) -> Bool { !process.mailbox.isEmpty }

    func timerFired(_ process: ProcessCell, token: UInt64) -> Bool { false }

    func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }

    func discard(_ process: ProcessCell) {}
}
