import Synchronization
import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// `http_client.request_batch({{method, url, options?}, ...})`: every request is sent at once and the task
/// resumes when all finished, with `responses` (a Response or nil per entry) and `errors` (nil when all
/// succeeded, else an error or nil per entry). A malformed entry or `stream = true` fails the whole batch
/// before anything is sent.
enum HTTPClientBatch {
    static let requestBatch: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        let count = lua.rawLength(at: 1)
        guard count > 0 else { return lua.argumentError(1, "at least one request required") }
        let worker = LuaWorkerState.of(lua)
        var requests: [OutboundRequest] = []
        for index in 1...count {
            switch entry(index, in: lua) {
            case .success(let request): requests.append(request)
            case .failure(let error): return worker.fail(error, on: lua)
            }
        }
        let batch = requests
        return SQLCall.run(lua, needsProcess: "http_client: a request needs a running process") {
            (completion: @escaping SQLCompletion<[Result<OutboundResponse, WippyError>]>) in
            let collector = Collector(count: batch.count) { completion(.success($0)) }
            for (index, request) in batch.enumerated() {
                OutboundHTTPClient.shared.send(request) { collector.deliver($0, at: index) }
            }
        } push: { thread, results in
            thread.newTable(arrayCapacity: Int32(results.count), fieldCapacity: 0)
            for (index, result) in results.enumerated() {
                if case .success(let response) = result {
                    HTTPClientNatives.push(response, on: thread, state: worker)
                    thread.rawSet(-2, index: Int64(index + 1))
                }
            }
            let failed = results.contains { if case .failure = $0 { true } else { false } }
            guard failed else {
                thread.pushNil()
                return 2
            }
            thread.newTable(arrayCapacity: Int32(results.count), fieldCapacity: 0)
            for (index, result) in results.enumerated() {
                if case .failure(let error) = result {
                    worker.pushError(error, on: thread)
                    thread.rawSet(-2, index: Int64(index + 1))
                }
            }
            return 2
        }
    }

    /// Entry `index` of the list at argument 1, as a request; a malformed one is `Invalid`.
    static func entry(_ index: Int, in lua: Lua) -> Result<OutboundRequest, WippyError> {
        defer { lua.pop() }
        guard lua.rawGet(1, index: Int64(index)) == .table else {
            return .failure(.invalid("request_batch: request \(index) must be a table {method, url, options?} (got \(lua.typeName(at: -1)))"))
        }
        let table = lua.absolute(-1)
        _ = lua.rawGet(table, index: 1)
        _ = lua.rawGet(table, index: 2)
        _ = lua.rawGet(table, index: 3)
        defer { lua.pop(3) }
        guard lua.type(at: -3) == .string, let method = lua.string(at: -3), !method.isEmpty else {
            return .failure(.invalid("request_batch: request \(index) needs a method"))
        }
        guard lua.type(at: -2) == .string, let url = lua.string(at: -2), !url.isEmpty else {
            return .failure(.invalid("request_batch: request \(index) needs a URL"))
        }
        switch HTTPClientOptions.request(method: method, url: url, options: lua.absolute(-1), in: lua) {
        case .success(let request):
            if request.stream { return .failure(.invalid("request_batch: request \(index): streaming is not allowed in a batch")) }
            return .success(request)
        case .failure(.raise(let message)):
            return .failure(.invalid("request_batch: request \(index): \(message)"))
        case .failure(.fail(let error)):
            return .failure(.invalid("request_batch: request \(index): \(error.message)"))
        }
    }

    /// Gathers the outcomes of a batch; the last one in hands over all of them.
    final class Collector: Sendable {
        let state: Mutex<(results: [Result<OutboundResponse, WippyError>?], left: Int)>
        let done: @Sendable ([Result<OutboundResponse, WippyError>]) -> Void

        init(count: Int, done: @escaping @Sendable ([Result<OutboundResponse, WippyError>]) -> Void) {
            state = Mutex((Array(repeating: nil, count: count), count))
            self.done = done
        }

        func deliver(_ result: Result<OutboundResponse, WippyError>, at index: Int) {
            let all = state.withLock { state -> [Result<OutboundResponse, WippyError>]? in
                state.results[index] = result
                state.left -= 1
                return state.left == 0 ? state.results.map { $0! } : nil
            }
            if let all { done(all) }
        }
    }
}
