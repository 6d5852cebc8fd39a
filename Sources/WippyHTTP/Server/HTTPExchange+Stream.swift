public import HummingbirdCore
import HTTPTypes
import NIOCore
import Synchronization

/// A streamed response body: once the head went out, every write appends to the exchange's queue and the
/// connection's writer (a Hummingbird `ResponseBody` closure, on the connection's task) sends what is queued
/// while the handler keeps running. Nothing here blocks a thread: the writer awaits a continuation, and a
/// handler that outpaces its client is suspended by its write native (``waitForDrain(_:)``).
///
/// Memory is bounded: past ``queueLimit`` queued bytes the writing process waits until the writer took the
/// queue (so at most ``queueLimit`` plus one write is queued, plus what the socket holds). A client that
/// leaves fails the next write with `Internal` "write failed"; the queue is dropped.
extension HTTPExchange {
    /// Queued bytes past which a streaming handler waits for its client.
    public static let queueLimit = 1 << 20

    enum PumpStep: Sendable {
        case data([UInt8])
        case end
        case gone
    }

    /// Resumptions decided under the lock, run after it.
    struct Wakeups {
        var reply: (CheckedContinuation<Response, Never>, Response)?
        var pump: (CheckedContinuation<PumpStep, Never>, PumpStep)?
        var waiters: [@Sendable () -> Void] = []

        func run() {
            if let (continuation, response) = reply { continuation.resume(returning: response) }
            if let (continuation, step) = pump { continuation.resume(returning: step) }
            for waiter in waiters { waiter() }
        }
    }

    /// Sends the head now (to the responder waiting in ``reply(to:)``); what was buffered becomes the
    /// first queued bytes. A `HEAD` request gets the head alone and later writes are dropped.
    func startStream(_ state: inout ResponseState, _ wake: inout Wakeups) {
        state.streaming = true
        state.committed = true
        var (status, fields) = head(state)
        let response: Response
        if request.method == "HEAD" {
            state.body = []
            fields[.contentLength] = nil
            response = Response(status: status, headers: fields)
        } else {
            state.peakQueued = max(state.peakQueued, state.body.count)
            state.queuedWrites = state.body.isEmpty ? 0 : 1
            response = Response(status: status, headers: fields, body: ResponseBody { [self] writer in try await pump(&writer) })
        }
        if let reply = state.reply {
            state.reply = nil
            wake.reply = (reply, response)
        } else {
            state.streamed = response
        }
        channel?.closeFuture.whenComplete { [weak self] _ in self?.clientLeft() }
        if request.method != "HEAD" { streams?.add(self) }
    }

    /// Appends streamed bytes (dropped for `HEAD`) and hands them to a waiting writer.
    func enqueue(_ bytes: [UInt8], _ state: inout ResponseState, _ wake: inout Wakeups) {
        guard request.method != "HEAD", !bytes.isEmpty else { return }
        if let pump = state.pump, state.body.isEmpty {
            state.pump = nil
            wake.pump = (pump, .data(bytes))
            state.peakQueued = max(state.peakQueued, bytes.count)
            return
        }
        state.body.append(contentsOf: bytes)
        state.queuedWrites += 1
        state.peakQueued = max(state.peakQueued, state.body.count)
    }

    /// The writer's loop: sends queued bytes as they come, ends the body when the exchange finished and
    /// everything was sent; a failed write marks the client gone.
    func pump(_ writer: inout any ResponseBodyWriter) async throws {
        defer { streams?.remove(self) }
        while true {
            switch await nextStep() {
            case .data(let bytes):
                do {
                    try await writer.write(ByteBuffer(bytes: bytes))
                } catch {
                    clientLeft()
                    throw error
                }
            case .end:
                try await writer.finish(nil)
                return
            case .gone:
                throw CancellationError()
            }
        }
    }

    private func nextStep() async -> PumpStep {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<PumpStep, Never>) in
                var waiters: [@Sendable () -> Void] = []
                let step = state.withLock { state -> PumpStep? in
                    if !state.body.isEmpty {
                        let bytes = state.body
                        state.body = []
                        state.queuedWrites = 0
                        waiters = state.drainWaiters
                        state.drainWaiters = []
                        return .data(bytes)
                    }
                    if state.clientGone { return .gone }
                    if state.finished { return .end }
                    state.pump = continuation
                    return nil
                }
                for waiter in waiters { waiter() }
                if let step { continuation.resume(returning: step) }
            }
        } onCancel: {
            clientLeft()
        }
    }

    /// The client is gone (a failed write, the connection closed, the server task cancelled): the queue is
    /// dropped, the writer and waiting processes are woken, later writes fail.
    func clientLeft() {
        var wake = Wakeups()
        state.withLock { state in
            guard state.streaming, !state.clientGone else { return }
            state.clientGone = true
            state.body = []
            state.queuedWrites = 0
            if let pump = state.pump {
                state.pump = nil
                wake.pump = (pump, .gone)
            }
            wake.waiters = state.drainWaiters + state.goneCallbacks
            state.drainWaiters = []
            state.goneCallbacks = []
        }
        streams?.remove(self)
        wake.run()
    }

    /// Gives up on a client that does not read (a relay's bound, ``RelayBacklog``): the queue is dropped as
    /// if the client left, and the connection is closed, so what NIO and the socket still hold for it goes
    /// too and the writer, stuck on a full socket, ends.
    public func abandon() {
        clientLeft()
        channel?.close(promise: nil)
    }

    /// Runs `callback` once the client left a streamed response (at once if it already has).
    public func whenClientGone(_ callback: @escaping @Sendable () -> Void) {
        let gone = state.withLock { state -> Bool in
            if state.clientGone { return true }
            state.goneCallbacks.append(callback)
            return false
        }
        if gone { callback() }
    }

    /// Whether a streaming handler should wait before writing more.
    public var isQueueFull: Bool {
        state.withLock { $0.streaming && !$0.clientGone && !$0.finished && $0.body.count > Self.queueLimit }
    }

    /// Registers `resume` to run once the writer took the queue (or the client left); `false` (and `resume`
    /// is not kept) when the queue is not full.
    public func waitForDrain(_ resume: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.streaming, !state.clientGone, !state.finished, state.body.count > Self.queueLimit else { return false }
            state.drainWaiters.append(resume)
            return true
        }
    }

    /// What the stream's queue holds now: writes not yet taken by the connection's writer, and their bytes.
    public var backlog: (writes: Int, bytes: Int) { state.withLock { ($0.queuedWrites, $0.body.count) } }

    /// The most bytes the stream's queue held (for tests and logs).
    public var peakQueuedBytes: Int { state.withLock { $0.peakQueued } }

    /// Whether the head went out with a streamed body.
    public var isStreaming: Bool { state.withLock { $0.streaming } }

    /// Whether the client left while the response streamed.
    public var isClientGone: Bool { state.withLock { $0.clientGone } }
}

/// The responses a server is streaming, so that stopping the server ends them (a stream has no end of its
/// own and would hold a graceful stop for its whole budget): each is ended as if its client left.
public final class HTTPStreamRegistry: Sendable {
    private let streams = Mutex<[ObjectIdentifier: HTTPExchange]>([:])

    public init() {}

    func add(_ exchange: HTTPExchange) { streams.withLock { $0[ObjectIdentifier(exchange)] = exchange } }

    func remove(_ exchange: HTTPExchange) { _ = streams.withLock { $0.removeValue(forKey: ObjectIdentifier(exchange)) } }

    /// How many responses stream now.
    public var count: Int { streams.withLock { $0.count } }

    /// Ends every stream: later writes fail, the connections close once their writer notices.
    public func endAll() {
        for exchange in streams.withLock({ Array($0.values) }) { exchange.clientLeft() }
    }
}
