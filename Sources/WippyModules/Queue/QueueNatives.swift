import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// The functions of the `queue` module and the methods of Message objects.
enum QueueNatives {
    static let messageMethods: [(String, LuaNativeFunction)] = [
        ("id", id), ("header", header), ("headers", headers), ("ack", ack), ("nack", nack),
    ]

    /// The queue entry named at argument 1, resolved in the caller's namespace.
    static func queueID(_ lua: Lua, process: LuaProcess) throws(WippyError) -> EntryID {
        guard lua.type(at: 1) == .string, let text = lua.string(at: 1), !text.isEmpty else {
            throw WippyError.invalid("queue ID required (got \(lua.typeName(at: 1)))")
        }
        return EntryID.resolve(text, in: process.program.entryID.namespace)
    }

    /// Headers: a string-keyed table of scalars; other values are left out.
    static func headers(_ lua: Lua, at index: Int32, state: LuaWorkerState) throws(WippyError) -> [String: Payload] {
        switch lua.type(at: index) {
        case .nil, .none: return [:]
        case .table: break
        default: throw WippyError.invalid("queue headers must be a table (got \(lua.typeName(at: index)))")
        }
        var headers: [String: Payload] = [:]
        let table = lua.absolute(index)
        lua.pushNil()
        while lua.next(table) {
            if lua.type(at: -2) == .string, let key = lua.string(at: -2) {
                switch lua.type(at: -1) {
                case .string, .number, .boolean: headers[key] = LuaValueConverter.payload(at: -1, in: lua, state: state)
                default: break
                }
            }
            lua.pop()
        }
        return headers
    }

    /// `queue.publish(queue_id, data, headers?)`: `true`, or `nil, err`. Waits while the queue is full.
    static let publish: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let task = LuaTask.current(lua) else { return lua.raise("queue.publish needs a running process") }
        let process = task.process
        let id: EntryID
        let body: Payload
        let headers: [String: Payload]
        do throws(WippyError) {
            id = try queueID(lua, process: process)
            switch lua.type(at: 2) {
            case .nil, .none: throw WippyError.invalid("queue message data required")
            case .table where LuaValueConverter.sequenceLength(of: 2, in: lua) == 0:
                lua.pushNil()
                if !lua.next(2) { throw WippyError.invalid("queue message data must not be an empty table") }
                lua.pop(2)
            default: break
            }
            do throws(UnsendableValue) {
                body = try LuaValueConverter.export(at: 2, in: lua, state: worker)
            } catch {
                throw error.error(action: "publish", root: "data")
            }
            headers = try Self.headers(lua, at: 3, state: worker)
        } catch {
            return worker.fail(error, on: lua)
        }
        let queue: MessageQueue
        let lease: ResourceLease
        let table = worker.runtime.resources
        do throws(WippyError) {
            (lease, queue) = try table.acquire(id, as: MessageQueue.self, what: "a queue")
        } catch {
            if ResourceStartWait.isStarting(error, id: id, in: table) {
                // The queue is still opening (the application is starting): wait for it, and for room in
                // it, off the worker.
                return process.performBlocking(task, from: lua) { () throws(WippyError) in
                    ResourceStartWait.wait(for: id, in: table)
                    let (lease, queue) = try table.acquire(id, as: MessageQueue.self, what: "a queue")
                    defer { lease.release() }
                    try waitForCompletion { (done: @escaping @Sendable (Result<Void, WippyError>) -> Void) in
                        do throws(WippyError) {
                            if try queue.publish(body, headers: headers, published: done) { done(.success(())) }
                        } catch {
                            done(.failure(error))
                        }
                    }.get()
                } resume: { thread, result in
                    if case .failure(var failure) = result {
                        if failure.kind != .invalid { failure.kind = .internal }
                        return worker.fail(failure, context: "publish failed", on: thread)
                    }
                    thread.push(true)
                    return 1
                }
            }
            var failure = error
            if failure.kind != .invalid { failure.kind = .internal }
            return worker.fail(failure, context: "publish failed", on: lua)
        }
        defer { lease.release() }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let token = process.suspend(task) { thread, completion in
            if case .custom(let value)? = completion, let outcome = value as? Result<Void, WippyError>, case .failure(let error) = outcome {
                return worker.fail(error, context: "publish failed", on: thread)
            }
            thread.push(true)
            return 1
        }
        let cell = process.cell
        let host = cell.worker.host
        let published: Bool
        do throws(WippyError) {
            published = try queue.publish(body, headers: headers) { outcome in
                withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(outcome)) }
            }
        } catch {
            process.cancelSuspension(task, token: token)
            return worker.fail(error, context: "publish failed", on: lua)
        }
        if published {
            process.cancelSuspension(task, token: token)
            lua.push(true)
            return 1
        }
        return lua.yieldToScheduler()
    }

    /// `queue.message()`: the Message of the running consumer invocation, or `nil, err` (`Invalid` "no
    /// delivery found in context").
    static let message: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua),
            let active = ActiveDeliveries.shared.value(InvocationKey(node: ObjectIdentifier(worker.runtime.node), pid: process.pid))
        else {
            return worker.fail(.invalid("no delivery found in context"), on: lua)
        }
        RetainedObject.push(active, tag: ModuleTags.queueMessage, userValues: 0, state: worker, on: lua)
        lua.pushNil()
        return 2
    }

    /// `queue.info(queue_id)`: `{message_count, consumer_count, in_flight, max_length}`.
    static let info: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return lua.raise("queue.info needs a running process") }
        do throws(WippyError) {
            let id = try queueID(lua, process: process)
            let (lease, queue) = try worker.runtime.resources.acquire(id, as: MessageQueue.self, what: "a queue")
            defer { lease.release() }
            let stats = queue.buffer.stats
            LuaValueConverter.push(
                .map([
                    ("message_count", .int(Int64(stats.ready))), ("consumer_count", .int(Int64(stats.consumers))),
                    ("in_flight", .int(Int64(stats.inFlight))), ("max_length", .int(Int64(queue.buffer.maxLength))),
                ]), on: lua, state: worker)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// The Message at argument 1 when its handler still runs; otherwise the early return (`nil, err`).
    static func withMessage(_ lua: Lua, _ body: (QueueDelivery, LuaWorkerState) -> Int32) -> Int32 {
        guard let active = RetainedObject.object(at: 1, tag: ModuleTags.queueMessage, in: lua, as: ActiveDelivery.self) else {
            return lua.typeError(1, expected: "queue.Message")
        }
        let worker = LuaWorkerState.of(lua)
        guard !active.isReleased else { return worker.fail(.invalid("queue.Message released"), on: lua) }
        return body(active.delivery, worker)
    }

    static let id: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withMessage(lua) { delivery, _ in
            lua.push(delivery.message.id)
            lua.pushNil()
            return 2
        }
    }

    static let header: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withMessage(lua) { delivery, worker in
            guard lua.type(at: 2) == .string, let key = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            if let value = delivery.message.headers[key] {
                LuaValueConverter.push(value, on: lua, state: worker)
            } else {
                lua.pushNil()
            }
            lua.pushNil()
            return 2
        }
    }

    static let headers: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withMessage(lua) { delivery, worker in
            LuaValueConverter.push(.map(delivery.message.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }), on: lua, state: worker)
            lua.pushNil()
            return 2
        }
    }

    static func settle(_ lua: Lua, requeue: Bool) -> Int32 {
        withMessage(lua) { delivery, worker in
            do throws(WippyError) {
                if requeue { try delivery.nack() } else { try delivery.ack() }
                lua.push(true)
                return 1
            } catch {
                return worker.fail(error, on: lua)
            }
        }
    }

    static let ack: LuaNativeFunction = { state in settle(Lua(state!), requeue: false) }

    static let nack: LuaNativeFunction = { state in settle(Lua(state!), requeue: true) }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.queueMessage, as: ActiveDelivery.self)
    }
}
