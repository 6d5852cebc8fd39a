import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// Functions of the `time` module that do not block: constructors and parsers.
enum TimeNatives {
    /// `time.now()`: the current time in the local zone; in a workflow run, the run's clock.
    static let now: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let process = LuaProcess.current(lua)
        let worker = process?.workerState ?? LuaWorkerState.of(lua)
        if let run = process?.determinism {
            LuaTime.push(GoTime(seconds: 0, nanoseconds: run.now, location: .local), location: .local, state: worker, on: lua)
            return 1
        }
        LuaTime.pushNow(state: worker, on: lua)
        return 1
    }

    /// `time.date(year, month, day, hour, min, sec, nsec, [loc])`: all seven numbers are required; values out
    /// of range normalise; the default location is the local zone.
    static let date: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var fields: [Int] = []
        for index in Int32(1)...7 {
            switch lua.integerArgument(index) {
            case .failure(let early): return early.status
            case .success(let value): fields.append(Int(value))
            }
        }
        let worker = LuaWorkerState.of(lua)
        var location = GoLocation.local
        var source = LuaTime.LocationSource.local
        if !lua.isNil(at: 8) {
            guard let given = LuaLocation.read(lua, at: 8) else { return lua.typeError(8, expected: "Location") }
            location = given
            source = .object(8)
        }
        let time = GoTime.date(
            year: fields[0], month: fields[1], day: fields[2], hour: fields[3], minute: fields[4], second: fields[5],
            nanosecond: fields[6], location: location)
        LuaTime.push(time, location: source, state: worker, on: lua)
        return 1
    }

    /// `time.unix(sec, [nsec])`: the local time of a Unix instant.
    static let unix: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let seconds: Int64
        switch lua.integerArgument(1) {
        case .failure(let early): return early.status
        case .success(let value): seconds = value
        }
        var nanoseconds: Int64 = 0
        if !lua.isNil(at: 2) {
            switch lua.integerArgument(2) {
            case .failure(let early): return early.status
            case .success(let value): nanoseconds = value
            }
        }
        LuaTime.push(GoTime.unix(seconds, nanoseconds, in: .local), location: .local, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// `time.parse(layout, value, [loc])`: Go reference-time parsing; failures are `nil, err` (Invalid).
    static let parse: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let layout = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard let value = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        var location: GoLocation?
        if !lua.isNil(at: 3) {
            guard let given = LuaLocation.read(lua, at: 3) else { return lua.typeError(3, expected: "Location") }
            location = given
        }
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            let time = try GoTime.parse(layout: layout, value: value, in: location)
            LuaTime.push(time, location: .fresh, state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// `time.parse_duration(d)`: a Duration from any duration-like value; failures are `nil, err` (Invalid).
    static let parseDuration: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        switch LuaDuration.argument(lua, at: 1) {
        case .failure(let error): return worker.fail(error, on: lua)
        case .success(let duration):
            LuaDuration.push(duration, state: worker, on: lua)
            return 1
        }
    }

    /// `time.load_location(name)`: an IANA zone; `""` is Invalid, an unknown name NotFound. A zone not loaded
    /// before is read from the zoneinfo files on the blocking pool while the calling process waits.
    static let loadLocation: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let name = lua.string(at: 1) else { return worker.fail(.invalid("location name must be a string"), on: lua) }
        switch name {
        case "UTC":
            LuaLocation.pushUTC(state: worker, on: lua)
            return 1
        case "Local":
            LuaLocation.pushLocal(state: worker, on: lua)
            return 1
        default:
            break
        }
        if let location = GoLocation.loaded(name) {
            LuaLocation.push(location, state: worker, on: lua)
            return 1
        }
        guard let task = LuaTask.current(lua) else { return lua.raise("time.load_location needs a running process") }
        return task.process.performBlocking(task, from: lua) { () throws(WippyError) -> GoLocation in
            try GoLocation.load(name)
        } resume: { thread, result in
            switch result {
            case .success(let location):
                LuaLocation.push(location, state: worker, on: thread)
                return 1
            case .failure(let error):
                return worker.fail(error, on: thread)
            }
        }
    }

    /// `time.fixed_zone(name, offset_seconds)`: a zone with a constant offset east of UTC.
    static let fixedZone: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let name = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        switch lua.integerArgument(2) {
        case .failure(let early): return early.status
        case .success(let offset):
            LuaLocation.push(.fixed(name: name, offsetSeconds: Int(offset)), state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }
}
