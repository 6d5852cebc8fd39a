import CLua

/// Loading chunks and protected calls: operations that run arbitrary Lua code report errors as values.
extension Lua {
    /// Compiles `source` (text only, no bytecode). Pushes the chunk function on success; on a syntax error
    /// pushes nothing and returns the error.
    public func load(_ source: [UInt8], name: String) -> LuaError? {
        let status = source.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                wippy_load(pointer, chars.baseAddress, chars.count, name, "t")
            }
        }
        if status == 0 { return nil }
        let message = string(at: -1) ?? "syntax error"
        pop()
        return LuaError(status: LuaStatus(rawValue: status) ?? .syntaxError, message: message)
    }

    /// Calls the function below the top `arguments` values in protected mode. On success leaves `results`
    /// values (or all of them when `results` is -1); on failure leaves nothing and returns the error.
    public func protectedCall(arguments: Int32, results: Int32) -> LuaError? {
        let status = wippy_pcall(pointer, arguments, results)
        if status == 0 { return nil }
        let message = describeError(at: -1)
        pop()
        return LuaError(status: LuaStatus(rawValue: status) ?? .runtimeError, message: message)
    }

    /// `tostring(v)` of the value at `index`, honouring `__tostring`/`__name`, run in protected mode.
    public func toStringProtected(at index: Int32) -> String {
        let status = wippy_protected_tostring(pointer, index)
        defer { pop() }
        if status != 0 { return string(at: -1) ?? "?" }
        return string(at: -1) ?? "?"
    }

    /// A message for an error value: strings as they are, other values through `tostring`.
    public func describeError(at index: Int32) -> String {
        switch type(at: index) {
        case .string: return string(at: index) ?? ""
        case .nil, .none: return "nil"
        default: return toStringProtected(at: index)
        }
    }
}
