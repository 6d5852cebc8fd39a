#if canImport(Glibc)
import Glibc
#endif
import WippyCodecs
import WippyLua
import WippyRuntime

/// Time userdata: Unix seconds (`Int64`) and nanoseconds (`Int32`) in memory, the Location object in user
/// value 1. No finalizer: the only Swift value with references lives in the Location object.
enum LuaTime {
    /// Where the Location of a new Time object comes from.
    enum LocationSource {
        /// The Location object at this stack index.
        case object(Int32)
        /// The same Location as the Time object at this stack index.
        case sameAs(Int32)
        /// The worker's shared UTC or local Location object.
        case utc, local
        /// A new Location object made from the time's own location.
        case fresh
    }

    /// Pushes a Time object for `time`.
    static func push(_ time: GoTime, location source: LocationSource, state: LuaWorkerState, on lua: Lua) {
        if case .fresh = source {
            lua.ensureStack(4)
            LuaLocation.push(time.location, state: state, on: lua)
            pushObject(seconds: time.seconds, nanoseconds: time.nanoseconds, state: state, on: lua)
            return
        }
        push(seconds: time.seconds, nanoseconds: time.nanoseconds, location: source, state: state, on: lua)
    }

    /// Pushes a Time object for an instant whose location is not `.fresh` (no ``GoTime`` to make: `time.now()`).
    static func push(seconds: Int64, nanoseconds: Int32, location source: LocationSource, state: LuaWorkerState, on lua: Lua) {
        lua.ensureStack(4)
        switch source {
        case .object(let index): lua.pushValue(at: index)
        case .sameAs(let index): lua.getUserValue(index, 1)
        case .utc: LuaLocation.pushUTC(state: state, on: lua)
        case .local: LuaLocation.pushLocal(state: state, on: lua)
        case .fresh: preconditionFailure("a fresh location needs the GoTime")
        }
        pushObject(seconds: seconds, nanoseconds: nanoseconds, state: state, on: lua)
    }

    /// Makes the object for the Location on top of the stack, which becomes its user value.
    private static func pushObject(seconds: Int64, nanoseconds: Int32, state: LuaWorkerState, on lua: Lua) {
        let memory = state.newObject(ModuleTags.time, size: 16, userValues: 1, on: lua)
        memory.storeBytes(of: seconds, as: Int64.self)
        memory.storeBytes(of: nanoseconds, toByteOffset: 8, as: Int32.self)
        lua.insert(at: -2)
        lua.setUserValue(-2, 1)
    }

    /// Pushes the current time in the local zone.
    static func pushNow(state: LuaWorkerState, on lua: Lua) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        push(seconds: Int64(now.tv_sec), nanoseconds: Int32(now.tv_nsec), location: .local, state: state, on: lua)
    }

    /// The instant of the Time object at `index` (no location).
    static func instant(_ lua: Lua, at index: Int32) -> (seconds: Int64, nanoseconds: Int32)? {
        guard let memory = lua.taggedUserdata(at: index, ModuleTags.time) else { return nil }
        return (memory.load(as: Int64.self), memory.load(fromByteOffset: 8, as: Int32.self))
    }

    /// The Time object at `index`, with its location.
    static func read(_ lua: Lua, at index: Int32) -> GoTime? {
        guard let (seconds, nanoseconds) = instant(lua, at: index) else { return nil }
        lua.getUserValue(index, 1)
        let location = LuaLocation.read(lua, at: -1) ?? .utc
        lua.pop()
        return GoTime(seconds: seconds, nanoseconds: Int64(nanoseconds), location: location)
    }
}
