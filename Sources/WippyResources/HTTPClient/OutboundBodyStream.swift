public import WippyCore
import AsyncHTTPClient
import NIOCore
import Synchronization

/// The body of a streamed response, read piece by piece: each ``read(max:completion:)`` hands back what is
/// buffered or waits (on a task, not a thread) for the next chunk from the connection. One read at a time;
/// ``close()`` drops the rest and lets async-http-client end the request.
public final class OutboundBodyStream: Sendable {
    /// Read outcome: bytes, `nil` at the end, or the transport's error.
    public typealias ReadResult = Result<[UInt8]?, WippyError>

    struct State {
        var source: Source?
        var buffered: [UInt8] = []
        var ended = false
        var reading = false
        var failure: WippyError?
        var position: Int64 = 0
        var timedOut = false
    }

    /// The response body's iterator, used by one reading task at a time (``State/reading``).
    final class Source: @unchecked Sendable {
        var iterator: HTTPClientResponse.Body.AsyncIterator

        init(_ body: HTTPClientResponse.Body) { iterator = body.makeAsyncIterator() }
    }

    let state: Mutex<State>
    /// When reading must have ended (the request's timeout), and the message of the error after it.
    let deadline: NIODeadline
    let timeoutMessage: String
    let loop: any EventLoop

    init(_ body: HTTPClientResponse.Body, deadline: NIODeadline, timeoutMessage: String, loop: any EventLoop) {
        state = Mutex(State(source: Source(body)))
        self.deadline = deadline
        self.timeoutMessage = timeoutMessage
        self.loop = loop
    }

    /// Bytes read so far.
    public var position: Int64 { state.withLock { $0.position } }

    /// Up to `max` bytes (at least one unless the body ended). The completion may run before this returns.
    public func read(max: Int, completion: @escaping @Sendable (ReadResult) -> Void) {
        enum Next {
            case now(ReadResult)
            case fetch(Source)
        }
        let next = state.withLock { state -> Next in
            if !state.buffered.isEmpty { return .now(.success(Self.take(max, from: &state))) }
            if let failure = state.failure { return .now(.failure(failure)) }
            guard !state.ended, let source = state.source else { return .now(.success(nil)) }
            if state.reading { return .now(.failure(.invalid("stream: another read is in progress"))) }
            state.reading = true
            return .fetch(source)
        }
        switch next {
        case .now(let result):
            completion(result)
        case .fetch(let source):
            let fetch = Task {
                var chunk: ByteBuffer?
                var failure: WippyError?
                do {
                    chunk = try await source.iterator.next()
                } catch {
                    failure = WippyError("stream: read failed: \(error)", kind: .internal, retryable: true)
                }
                let outcome = state.withLock { state -> ReadResult in
                    state.reading = false
                    if state.timedOut {
                        failure = WippyError(timeoutMessage, kind: .internal, retryable: true)
                    }
                    if let failure {
                        state.failure = failure
                        state.source = nil
                        return .failure(failure)
                    }
                    guard let chunk else {
                        state.ended = true
                        state.source = nil
                        return .success(nil)
                    }
                    if state.source == nil { return .success(nil) }  // closed meanwhile
                    state.buffered.append(contentsOf: chunk.readableBytesView)
                    return .success(Self.take(max, from: &state))
                }
                completion(outcome)
            }
            // The request's timeout covers reading the body: a read still waiting then ends the stream.
            let timer = loop.scheduleTask(deadline: deadline) {
                let running = self.state.withLock { state -> Bool in
                    guard state.reading else { return false }
                    state.timedOut = true
                    return true
                }
                if running { fetch.cancel() }
            }
            Task {
                _ = await fetch.value
                timer.cancel()
            }
        }
    }

    /// Idempotent: later reads return the end.
    public func close() {
        state.withLock { state in
            state.source = nil
            state.buffered = []
            state.ended = true
        }
    }

    private static func take(_ max: Int, from state: inout State) -> [UInt8]? {
        if state.buffered.isEmpty { return state.ended ? nil : [] }
        let count = Swift.min(Swift.max(1, max), state.buffered.count)
        let piece = Array(state.buffered.prefix(count))
        state.buffered.removeFirst(count)
        state.position += Int64(count)
        return piece
    }
}
