import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// Duration userdata: one `Int64` of nanoseconds, no finalizer.
enum LuaDuration {
    /// Pushes a Duration object.
    static func push(_ duration: GoDuration, state: LuaWorkerState, on lua: Lua) {
        let memory = state.newObject(ModuleTags.duration, size: 8, on: lua)
        memory.storeBytes(of: duration.nanoseconds, as: Int64.self)
    }

    /// The Duration object at `index`.
    static func read(_ lua: Lua, at index: Int32) -> GoDuration? {
        guard let memory = lua.taggedUserdata(at: index, ModuleTags.duration) else { return nil }
        return GoDuration(memory.load(as: Int64.self))
    }

    /// Reads a *duration-like* argument: a number of nanoseconds (integer or float, floats truncated), a Go
    /// duration string (`"1h30m"`, `"500ms"`), or a Duration object.
    ///
    /// - Returns: the duration, or an `Invalid` error describing what was wrong.
    static func argument(_ lua: Lua, at index: Int32) -> Result<GoDuration, WippyError> {
        switch lua.type(at: index) {
        case .number:
            if lua.isInteger(at: index), let value = lua.integer(at: index) { return .success(GoDuration(value)) }
            let value = lua.number(at: index) ?? .nan
            guard value.isFinite, value > -9.2e18, value < 9.2e18 else {
                return .failure(.invalid("invalid duration: \(value)"))
            }
            return .success(GoDuration(Int64(value)))
        case .string:
            do throws(WippyError) {
                return .success(try GoDuration.parse(lua.string(at: index) ?? ""))
            } catch {
                return .failure(error)
            }
        case .userdata:
            if let duration = read(lua, at: index) { return .success(duration) }
            fallthrough
        default:
            return .failure(.invalid("invalid duration: expected number, string or Duration, got \(lua.typeName(at: index))"))
        }
    }
}
