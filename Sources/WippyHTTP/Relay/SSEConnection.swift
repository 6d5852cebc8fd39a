import Logging
import WippyCodecs
import WippyCore

/// The process behind one relayed SSE stream (``SSERelay``): it has a PID, a mailbox and timers like any
/// process, and runs on its worker's thread; it never blocks (a write only queues bytes on the exchange).
///
/// Bounded (``RelayBacklog``): a client that lets more than `host.buffer_size` events (or 16 MiB) pile up
/// is not reading. The relay cannot make its feeding process wait (a process may feed many streams), and a
/// mailbox without bound would hold the backlog in memory instead, so the client is dropped (its connection
/// closed, its queue discarded): a warning names it and the target hears `sse.leave` with reason
/// `client too slow`. A browser's EventSource reconnects on its own.
final class SSEConnection: ProcessBehavior, ProcessStarter, @unchecked Sendable {
    let exchange: HTTPExchange
    let settings: SSERelay.Settings
    let node: Node
    /// The most events queued for the client (`host.buffer_size`).
    let bufferSize: Int
    // Worker-confined after start.
    private var pid: PID?
    private var heartbeat: Duration
    private var lastActivity = ContinuousClock.now
    private var ending: String?
    private var started = false
    private var nextToken: UInt64 = 1
    private var heartbeatToken: UInt64 = 0
    private var idleToken: UInt64 = 0
    private var hardToken: UInt64 = 0

    let logger: Logger?

    init(exchange: HTTPExchange, settings: SSERelay.Settings, node: Node, bufferSize: Int, logger: Logger? = nil) {
        self.logger = logger
        self.bufferSize = max(1, bufferSize)
        self.exchange = exchange
        self.settings = settings
        self.node = node
        heartbeat = settings.heartbeat
    }

    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior { self }

    // MARK: - ProcessBehavior

    func run(_ process: ProcessCell) -> ProcessRunOutcome {
        if !started { begin(process) }
        guard let reason = ending else { return .blocked }
        if let target = settings.target {
            node.unmonitor(watcher: process.pid, target: target)
            tell(target, "sse.leave", [("reason", .string(reason))], from: process.pid)
        }
        exchange.finish(.returnedNothing)
        return .finished(ProcessResult())
    }

    private func begin(_ process: ProcessCell) {
        started = true
        pid = process.pid
        let connection = process.pid
        let node = node
        exchange.whenClientGone {
            node.send(to: connection, .message(Message(from: nil, topic: "sse.close", payloads: [.string("client gone")])))
        }
        if let target = settings.target {
            do throws(WippyError) {
                try node.monitor(watcher: process.pid, target: target)
            } catch {
                ending = "target gone"
                return
            }
            tell(
                target, "sse.join",
                [
                    ("metadata", settings.metadata), ("path", .string(exchange.request.path)),
                    ("remote_addr", .string(exchange.request.remoteAddress)),
                ], from: process.pid)
        }
        heartbeatToken = arm(process, after: heartbeat)
        if let idle = settings.idleTimeout { idleToken = arm(process, after: idle) }
        if let hard = settings.hardTimeout { hardToken = arm(process, after: hard) }
    }

    func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
        guard ending == nil else { return .taken(schedule: false) }
        switch item {
        case .message(let message):
            handle(message)
        case .event(.exit(let from, _)) where from == settings.target:
            ending = "target exited"
        case .event(.cancel):
            ending = "cancelled"
        case .event:
            break
        }
        return .taken(schedule: ending != nil)
    }

    func mailboxReceived(_ process: ProcessCell) -> Bool {
        while let item = process.takeFromMailbox(where: { _ in true }) { _ = offer(item, to: process) }
        return ending != nil
    }

    func timerFired(_ process: ProcessCell, token: UInt64) -> Bool {
        guard ending == nil else { return false }
        switch token {
        case heartbeatToken:
            send(SSEFrame.comment("heartbeat"))
            if let target = settings.target { tell(target, "sse.heartbeat", [], from: process.pid) }
            heartbeatToken = arm(process, after: heartbeat)
        case idleToken:
            guard let idle = settings.idleTimeout else { break }
            let quiet = ContinuousClock.now - lastActivity
            if quiet >= idle { ending = "idle timeout" } else { idleToken = arm(process, after: idle - quiet) }
        case hardToken:
            ending = "hard timeout"
        default:
            break
        }
        return ending != nil
    }

    func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool { false }

    func discard(_ process: ProcessCell) {
        exchange.finish(.returnedNothing)
    }

    // MARK: - Messages to the connection

    private func handle(_ message: Message) {
        let payload = message.payloads.first ?? .null
        switch message.topic {
        case settings.messageTopic:
            lastActivity = ContinuousClock.now
            send(Self.event(payload))
        case "sse.control":
            lastActivity = ContinuousClock.now
            if let retry = payload["retry"]?.intValue { send(SSEFrame.retry(milliseconds: Int(retry))) }
            if let comment = payload["comment"]?.stringValue { send(SSEFrame.comment(comment)) }
            if let beat = try? SSERelay.Settings.duration(payload, "heartbeat_interval") { heartbeat = beat }
        case "sse.close":
            ending = payload.stringValue == "client gone" && message.from == nil ? "client gone" : "closed"
        default:
            break
        }
    }

    /// A message's payload as an event: `{event|name =, data =, id =}` names the parts; anything else is
    /// the data of an unnamed event. Data is JSON (a string arrives quoted), as `res:write_event` sends it.
    static func event(_ payload: Payload) -> [UInt8] {
        var name: String?
        var data = payload
        var id: String?
        if payload.tableValue != nil, let field = payload["data"] {
            name = payload["event"]?.stringValue ?? payload["name"]?.stringValue
            id = payload["id"]?.stringValue ?? payload["id"]?.intValue.map(String.init)
            data = field
        }
        let json = (try? JSONCodec.encode(data)) ?? Array("null".utf8)
        return (id.map(SSEFrame.id) ?? []) + SSEFrame.event(name: name, data: json)
    }

    /// Queues bytes for the client; a failed write (the client left) or an overfull queue ends the stream.
    private func send(_ bytes: [UInt8]) {
        if exchange.write(bytes) != nil {
            ending = "client gone"
            return
        }
        let backlog = exchange.backlog
        guard RelayBacklog.overflows(messages: backlog.writes, bytes: backlog.bytes, limit: bufferSize) else { return }
        ending = "client too slow"
        exchange.abandon()
        logger?.warning(
            "sse_relay: client \(exchange.request.remoteAddress) on \(exchange.request.path) is not reading (\(backlog.writes) events, \(backlog.bytes) bytes queued; \(RelayBacklog.describe(limit: bufferSize))): dropping its stream")
    }

    private func tell(_ target: PID, _ topic: String, _ fields: [(String, Payload)], from connection: PID) {
        let payload = Payload.map([("client_pid", .string(connection.description))] + fields)
        node.send(to: target, .message(Message(from: connection, topic: topic, payloads: [payload])))
    }

    private func arm(_ process: ProcessCell, after duration: Duration) -> UInt64 {
        let token = nextToken
        nextToken += 1
        let (seconds, attoseconds) = duration.components
        process.worker.arm(process, after: UInt64(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)), token: token)
        return token
    }
}
