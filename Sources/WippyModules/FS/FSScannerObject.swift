import Synchronization
import WippyCore
import WippyLua
import WippyRuntime
import WippyResources

/// A Scanner over a File (or an `exec` output Stream): tokens come from ``WippyResources/FSScanner``;
/// reading more happens on the blocking pool only when the buffered bytes hold no complete token.
final class FSScannerState: Sendable {
    enum Source: Sendable {
        case file(FSFile)
        case stream(ExecStreamHandle)

        /// The next bytes (empty at the end); may wait.
        func next() throws(WippyError) -> [UInt8] {
            switch self {
            case .file(let file): return try file.read(1 << 16)
            case .stream(let stream):
                while true {
                    switch stream.output.read(max: 1 << 16) {
                    case .data(let bytes)?: return bytes
                    case .end?: return []
                    case nil: stream.waitReadable()
                    }
                }
            }
        }
    }

    let source: Source
    private let state: Mutex<(scanner: FSScanner, token: [UInt8]?, error: String?)>

    init(source: Source, split: FSScanner.Split) {
        self.source = source
        state = Mutex((FSScanner(split: split), nil, nil))
    }

    /// The next token from what is buffered; nil when more input is needed.
    func bufferedToken() -> Bool? {
        state.withLock { state in
            if let token = state.scanner.next() {
                state.token = token
                return true
            }
            if state.scanner.ended || state.error != nil {
                state.token = nil
                return false
            }
            return nil
        }
    }

    /// Reads until a token or the end (off the worker).
    func advance() -> Bool {
        while true {
            if let found = bufferedToken() { return found }
            do throws(WippyError) {
                let chunk = try source.next()
                state.withLock { state in
                    if chunk.isEmpty { state.scanner.finish() } else { state.scanner.feed(chunk) }
                }
            } catch {
                state.withLock { state in
                    state.error = error.message
                    state.scanner.finish()
                }
            }
        }
    }

    /// For a stream source: calls `done` (on the child's reader thread, or at once) when a token is ready
    /// or the stream ended, feeding the scanner as output arrives. No thread waits meanwhile.
    func whenTokenReady(_ done: @escaping @Sendable (Bool) -> Void) {
        guard case .stream(let stream) = source else { return done(advance()) }
        while true {
            if let found = bufferedToken() { return done(found) }
            switch stream.output.read(max: 1 << 16) {
            case .data(let bytes)?: state.withLock { $0.scanner.feed(bytes) }
            case .end?: state.withLock { $0.scanner.finish() }
            case nil:
                stream.output.whenReadable { [self] in self.whenTokenReady(done) }
                return
            }
        }
    }

    var token: [UInt8]? { state.withLock { $0.token } }
    var error: String? { state.withLock { $0.error } }
}

/// The methods of an `fs` Scanner: `scan()` → boolean, `text()` → the token, `err()` → message or nil.
enum FSScannerObject {
    static let methods: [(String, LuaNativeFunction)] = [("scan", scan), ("text", text), ("err", error)]

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.fsScanner, as: FSScannerState.self)
    }

    static func scanner(_ lua: Lua, _ method: String) -> Result<FSScannerState, EarlyReturn> {
        guard let scanner = RetainedObject.object(at: 1, tag: ModuleTags.fsScanner, in: lua, as: FSScannerState.self) else {
            return .failure(EarlyReturn(status: lua.raise("fs: \(method) must be called on a Scanner (use sc:\(method)())")))
        }
        return .success(scanner)
    }

    static let scan: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = scanner(lua, "scan")
        guard case .success(let scanner) = parsed else { return parsed.status }
        if let found = scanner.bufferedToken() {
            lua.push(found)
            return 1
        }
        if case .stream = scanner.source {
            // A child's output: wait for it without holding any thread.
            return awaitValue(lua, register: { (done: @escaping @Sendable (Bool) -> Void) throws(WippyError) in
                scanner.whenTokenReady(done)
            }) { thread, found in
                thread.push(found)
                return 1
            }
        }
        return runBlocking(lua, work: { () throws(WippyError) in scanner.advance() }) { lua, found in
            lua.push(found)
            return 1
        }
    }

    static let text: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = scanner(lua, "text")
        guard case .success(let scanner) = parsed else { return parsed.status }
        lua.push(bytes: scanner.token ?? [])
        return 1
    }

    static let error: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = scanner(lua, "err")
        guard case .success(let scanner) = parsed else { return parsed.status }
        if let message = scanner.error { lua.push(message) } else { lua.pushNil() }
        return 1
    }
}
