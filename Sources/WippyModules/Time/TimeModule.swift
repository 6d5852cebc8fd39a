import WippyCodecs
public import WippyLua
public import WippyRuntime

/// The `time` module (lua-api-core §8): sleeping, timers, tickers, Time, Duration and Location values.
///
/// Numeric durations are nanoseconds everywhere. Time, Duration and Location are userdata with methods; like
/// every userdata other than errors they become nil when sent to another process.
public struct TimeModule: LuaModule {
    public let name = "time"
    public let classes: Set<ModuleClass> = [.workflow]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        registerTypes(state)
        lua.newTable(arrayCapacity: 0, fieldCapacity: 64)
        let table = lua.top
        lua.setFunctions(
            [
                ("sleep", TimeNatives.sleep), ("after", TimeNatives.after), ("timer", TimeNatives.timer),
                ("ticker", TimeNatives.ticker), ("now", TimeNatives.now), ("date", TimeNatives.date),
                ("unix", TimeNatives.unix), ("parse", TimeNatives.parse),
                ("parse_duration", TimeNatives.parseDuration), ("load_location", TimeNatives.loadLocation),
                ("fixed_zone", TimeNatives.fixedZone),
            ], in: table)
        for (name, value) in Self.integerConstants {
            lua.push(value)
            lua.rawSet(table, key: name)
        }
        for (name, layout) in Self.layouts {
            lua.push(layout)
            lua.rawSet(table, key: name)
        }
        LuaLocation.pushUTC(state: state, on: lua)
        lua.rawSet(table, key: "utc")
        LuaLocation.pushLocal(state: state, on: lua)
        lua.rawSet(table, key: "localtz")
    }

    private func registerTypes(_ state: LuaWorkerState) {
        state.registerType(
            ModuleTags.duration, name: "time.Duration", methods: DurationMethods.all,
            metamethods: [
                ("__tostring", DurationMethods.describe), ("__eq", DurationMethods.equal),
                ("__lt", DurationMethods.lessThan), ("__le", DurationMethods.lessOrEqual),
            ])
        state.registerType(
            ModuleTags.time, name: "time.Time", methods: TimeMethods.all,
            metamethods: [
                ("__tostring", TimeMethods.describe), ("__eq", TimeMethods.equalInstants),
                ("__lt", TimeMethods.lessThan), ("__le", TimeMethods.lessOrEqual),
            ])
        state.registerType(
            ModuleTags.location, name: "time.Location", methods: [("string", LuaLocation.name)],
            metamethods: [("__tostring", LuaLocation.name), ("__gc", LuaLocation.collect)])
        state.registerType(
            ModuleTags.timer, name: "time.Timer",
            methods: [
                ("response", TimerNatives.timerChannel), ("channel", TimerNatives.timerChannel),
                ("stop", TimerNatives.timerStop), ("reset", TimerNatives.timerReset),
            ],
            metamethods: [("__gc", TimerNatives.collectTimer)])
        state.registerType(
            ModuleTags.ticker, name: "time.Ticker",
            methods: [
                ("response", TimerNatives.tickerChannel), ("channel", TimerNatives.tickerChannel),
                ("stop", TimerNatives.tickerStop),
            ],
            metamethods: [("__gc", TimerNatives.collectTicker)])
    }

    /// Unit, month and weekday constants (all integers).
    static let integerConstants: [(String, Int64)] = [
        ("NANOSECOND", 1), ("MICROSECOND", 1_000), ("MILLISECOND", 1_000_000), ("SECOND", 1_000_000_000),
        ("MINUTE", 60_000_000_000), ("HOUR", 3_600_000_000_000),
        ("JANUARY", 1), ("FEBRUARY", 2), ("MARCH", 3), ("APRIL", 4), ("MAY", 5), ("JUNE", 6), ("JULY", 7),
        ("AUGUST", 8), ("SEPTEMBER", 9), ("OCTOBER", 10), ("NOVEMBER", 11), ("DECEMBER", 12),
        ("SUNDAY", 0), ("MONDAY", 1), ("TUESDAY", 2), ("WEDNESDAY", 3), ("THURSDAY", 4), ("FRIDAY", 5),
        ("SATURDAY", 6),
    ]

    /// Go's layout constants under their Wippy names.
    static let layouts: [(String, String)] = [
        ("RFC3339", GoLayouts.rfc3339), ("RFC3339NANO", GoLayouts.rfc3339Nano), ("RFC822", GoLayouts.rfc822),
        ("RFC822Z", GoLayouts.rfc822Z), ("RFC850", GoLayouts.rfc850), ("RFC1123", GoLayouts.rfc1123),
        ("RFC1123Z", GoLayouts.rfc1123Z), ("KITCHEN", GoLayouts.kitchen), ("STAMP", GoLayouts.stamp),
        ("STAMP_MILLI", GoLayouts.stampMilli), ("STAMP_MICRO", GoLayouts.stampMicro),
        ("STAMP_NANO", GoLayouts.stampNano), ("DATE_TIME", GoLayouts.dateTime), ("DATE_ONLY", GoLayouts.dateOnly),
        ("TIME_ONLY", GoLayouts.timeOnly), ("ANSIC", GoLayouts.ansic), ("UNIX_DATE", GoLayouts.unixDate),
        ("RUBY_DATE", GoLayouts.rubyDate),
    ]
}
