public import WippyCore
import Hummingbird
import HummingbirdCore
import NIOCore
import Foundation
import Synchronization

/// The request body: one-shot (lua-api-io §11.5), read whole (``readBody(limit:timeout:completion:)``) or
/// as a stream (``bodyStream(limit:timeout:)``); whichever comes first takes it, later reads fail with
/// `Internal` "failed to read body". Reads run on tasks of the concurrency pool and report through a
/// completion, so the reading process is suspended and no thread waits. The server's `timeouts.read`
/// (``readDeadline``) and the handler's `timeout` both bound the reads; past either a read fails.
extension HTTPExchange {
    static let alreadyRead = WippyError.internal("failed to read body: body already read")

    /// Takes the one-shot body, or `nil` when it was taken.
    func takeBody() -> RequestBody? {
        body.withLock { body -> RequestBody? in
            defer { body = nil }
            return body
        }
    }

    /// The instant reads must have ended: `timeout` from now, or the server's read deadline if sooner.
    func deadline(after timeout: Duration) -> ContinuousClock.Instant {
        let own = ContinuousClock.now + timeout
        guard let readDeadline else { return own }
        return min(own, readDeadline)
    }

    /// Reads the whole body once: `Invalid` "request body too large" past `limit` bytes (by
    /// `Content-Length` or by what arrives), `Internal` on a read failure or past the deadline.
    public func readBody(limit: Int, timeout: Duration, completion: @escaping @Sendable (Result<[UInt8], WippyError>) -> Void) {
        guard let body = takeBody() else { return completion(.failure(Self.alreadyRead)) }
        if request.contentLength > limit { return completion(.failure(.invalid("request body too large"))) }
        let deadline = deadline(after: timeout)
        Task {
            let result = await Self.racing(deadline) { () async -> Result<[UInt8], WippyError> in
                do {
                    var buffer = try await body.collect(upTo: limit)
                    return .success(buffer.readBytes(length: buffer.readableBytes) ?? [])
                } catch let error as HTTPError where error.status == .contentTooLarge {
                    return .failure(.invalid("request body too large"))
                } catch {
                    return .failure(.internal("failed to read body: \(error)"))
                }
            }
            completion(result)
        }
    }

    /// The body as a stream of chunks (`req:stream()`); `nil` when the body was already taken.
    public func bodyStream(limit: Int, timeout: Duration) -> RequestBodyStream? {
        guard let body = takeBody() else { return nil }
        return RequestBodyStream(body, limit: limit, declaredLength: request.contentLength, deadline: deadline(after: timeout))
    }

    /// Parses a `multipart/form-data` body (`req:parse_multipart`): `Invalid` without a boundary or past
    /// `limit` bytes, `Internal` for a malformed body, a read failure or past the deadline. Spilled parts'
    /// temporary files are removed when the exchange finishes.
    public func parseMultipart(
        maxMemory: Int, limit: Int, timeout: Duration, completion: @escaping @Sendable (Result<MultipartForm, WippyError>) -> Void
    ) {
        guard let boundary = request.header("Content-Type").flatMap(MultipartForm.boundary) else {
            return completion(.failure(.invalid("multipart: no boundary in Content-Type")))
        }
        guard let stream = bodyStream(limit: limit, timeout: timeout) else { return completion(.failure(Self.alreadyRead)) }
        Task {
            let result: Result<MultipartForm, WippyError>
            do {
                let form = try await MultipartForm.parse(boundary: boundary, maxMemory: maxMemory) {
                    try await withCheckedThrowingContinuation { continuation in
                        stream.read(max: 1 << 20) { continuation.resume(with: $0) }
                    }
                }
                result = .success(form)
            } catch let error as WippyError {
                result = .failure(error)
            } catch {
                result = .failure(.internal("multipart: \(error)"))
            }
            if case .success(let form) = result, !form.temporaryFiles.isEmpty, !adoptTemporaryFiles(form.temporaryFiles) {
                for path in form.temporaryFiles { try? FileManager.default.removeItem(atPath: path) }
                return completion(.failure(.internal("multipart: the request already ended")))
            }
            completion(result)
        }
    }

    /// `work`'s result, or `Internal` "failed to read body: timed out" at `deadline` (the work is cancelled).
    static func racing<Value: Sendable>(
        _ deadline: ContinuousClock.Instant, _ work: @escaping @Sendable () async -> Result<Value, WippyError>
    ) async -> Result<Value, WippyError> {
        await withTaskGroup(of: Result<Value, WippyError>?.self) { group in
            group.addTask { await work() }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return Task.isCancelled ? nil : .failure(.internal("failed to read body: timed out"))
            }
            var outcome: Result<Value, WippyError> = .failure(.internal("failed to read body"))
            for await result in group {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
    }
}

/// A request body read piece by piece (`req:stream()`): each ``read(max:completion:)`` hands back buffered
/// bytes or fetches the next chunk on a task (never a thread wait); `nil` at the end. One read at a time.
/// Past `limit` bytes: `Invalid` "request body too large"; past the deadline: `Internal`.
public final class RequestBodyStream: Sendable {
    public typealias ReadResult = Result<[UInt8]?, WippyError>

    /// Where the bytes come from: the next chunk, `nil` at the end; called by one reading task at a time
    /// (``State/reading``).
    final class Source: @unchecked Sendable {
        let next: () async throws -> [UInt8]?

        init(_ next: @escaping () async throws -> [UInt8]?) { self.next = next }

        /// A request body's chunks.
        convenience init(_ body: RequestBody) {
            var iterator = body.makeAsyncIterator()
            self.init {
                guard var chunk = try await iterator.next() else { return nil }
                return chunk.readBytes(length: chunk.readableBytes) ?? []
            }
        }
    }

    struct State {
        var source: Source?
        var buffered: [UInt8] = []
        var ended = false
        var reading = false
        var failure: WippyError?
        var position: Int64 = 0
        var received = 0
    }

    let state: Mutex<State>
    let limit: Int
    let deadline: ContinuousClock.Instant
    /// `Content-Length` (`-1` when unknown).
    public let declaredLength: Int

    init(_ body: RequestBody, limit: Int, declaredLength: Int, deadline: ContinuousClock.Instant) {
        state = Mutex(State(source: Source(body)))
        self.limit = limit
        self.declaredLength = declaredLength
        self.deadline = deadline
        if declaredLength > limit { state.withLock { $0.failure = .invalid("request body too large") } }
    }

    /// A stream over chunks `next` hands out (`nil` at the end), such as a multipart file's content.
    init(size: Int, next: @escaping () async throws -> [UInt8]?) {
        state = Mutex(State(source: Source(next)))
        limit = .max
        declaredLength = size
        deadline = .now + .seconds(86_400 * 365)
    }

    /// Bytes handed out so far.
    public var position: Int64 { state.withLock { $0.position } }

    /// Up to `max` bytes (at least one unless the body ended: then `nil`). The completion may run before
    /// this returns.
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
        guard case .fetch(let source) = next else {
            if case .now(let result) = next { completion(result) }
            return
        }
        let limit = limit
        Task {
            let fetched = await HTTPExchange.racing(deadline) { () async -> Result<[UInt8]?, WippyError> in
                do {
                    return .success(try await source.next())
                } catch {
                    return .failure(.internal("failed to read body: \(error)"))
                }
            }
            let result = state.withLock { state -> ReadResult in
                state.reading = false
                switch fetched {
                case .failure(let error):
                    state.failure = error
                    state.source = nil
                    return .failure(error)
                case .success(nil):
                    state.ended = true
                    state.source = nil
                    return .success(nil)
                case .success(let bytes?):
                    state.received += bytes.count
                    if state.received > limit {
                        let error = WippyError.invalid("request body too large")
                        state.failure = error
                        state.source = nil
                        return .failure(error)
                    }
                    state.buffered += bytes
                    if state.buffered.isEmpty { return .success([]) }
                    return .success(Self.take(max, from: &state))
                }
            }
            completion(result)
        }
    }

    /// Drops the rest of the body (idempotent); later reads return `nil`.
    public func close() {
        state.withLock { state in
            state.ended = true
            state.source = nil
            state.buffered = []
        }
    }

    static func take(_ max: Int, from state: inout State) -> [UInt8] {
        let count = min(max, state.buffered.count)
        let bytes = Array(state.buffered.prefix(count))
        state.buffered.removeFirst(count)
        state.position += Int64(count)
        return bytes
    }
}
