public import WippyCore
public import WippyLua

/// Error objects: userdata tagged `.error` whose user values hold message, kind, retryable, details and the
/// wrap context. No finalizer is needed: everything is a Lua value.
extension LuaWorkerState {
    static let errorMessage: Int32 = 1
    static let errorKind: Int32 = 2
    static let errorRetryable: Int32 = 3
    static let errorDetails: Int32 = 4
    static let errorContext: Int32 = 5
    static let errorFrames: Int32 = 6

    /// Pushes an error object for `error` on `lua`.
    public func pushError(_ error: WippyError, on lua: Lua) {
        _ = lua.newTaggedUserdata(.error, userValues: 6)
        let object = lua.top
        lua.push(error.message)
        lua.setUserValue(object, Self.errorMessage)
        lua.push(error.kind.rawValue)
        lua.setUserValue(object, Self.errorKind)
        if let retryable = error.retryable {
            lua.push(retryable)
            lua.setUserValue(object, Self.errorRetryable)
        }
        if let details = error.details {
            LuaValueConverter.push(details, on: lua, state: self)
            lua.setUserValue(object, Self.errorDetails)
        }
        if !error.context.isEmpty {
            lua.push(error.context.joined(separator: "\n"))
            lua.setUserValue(object, Self.errorContext)
        }
        pushMetatable(.error, on: lua)
        lua.setMetatable(object)
    }

    /// Reads the error object at `index`, if the value there is one.
    public func readError(at index: Int32, on lua: Lua) -> WippyError? {
        guard lua.taggedUserdata(at: index, .error) != nil else { return nil }
        let object = lua.absolute(index)
        lua.getUserValue(object, Self.errorMessage)
        let message = lua.string(at: -1) ?? ""
        lua.getUserValue(object, Self.errorKind)
        let kind = lua.string(at: -1) ?? ""
        let retryableType = lua.getUserValue(object, Self.errorRetryable)
        let retryable: Bool? = retryableType == .boolean ? lua.bool(at: -1) : nil
        lua.getUserValue(object, Self.errorDetails)
        let details: Payload? = lua.type(at: -1) == .table ? LuaValueConverter.payload(at: -1, in: lua, state: self) : nil
        lua.getUserValue(object, Self.errorContext)
        let context = lua.string(at: -1).map { $0.split(separator: "\n").map(String.init) } ?? []
        lua.pop(5)
        return WippyError(message, kind: ErrorKind(kind), retryable: retryable, details: details, context: context)
    }

    /// Pushes a `nil, err` pair and returns 2, the usual failure return of a module function.
    public func fail(_ error: WippyError, on lua: Lua) -> Int32 {
        lua.pushNil()
        pushError(error, on: lua)
        return 2
    }

    /// Marks the table at `index` as a JSON/YAML object, so an empty one encodes as `{}`.
    public func markObject(at index: Int32, on lua: Lua) {
        let table = lua.absolute(index)
        lua.registryTable("wippy.objects")
        if lua.getMetatable(-1) == false {
            lua.newTable()
            lua.push("k")
            lua.rawSet(-2, key: "__mode")
            lua.setMetatable(-2)
        } else {
            lua.pop()
        }
        lua.pushValue(at: table)
        lua.push(true)
        lua.rawSet(-3)
        lua.pop()
    }

    /// True if the table at `index` was marked as an object.
    public func isMarkedObject(at index: Int32, on lua: Lua) -> Bool {
        let table = lua.absolute(index)
        lua.registryTable("wippy.objects")
        lua.pushValue(at: table)
        let marked = lua.rawGet(-2) != .nil
        lua.pop(2)
        return marked
    }
}
