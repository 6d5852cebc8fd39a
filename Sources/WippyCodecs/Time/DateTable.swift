/// The table `os.date("*t")` returns: `{year, month, day, hour, min, sec, wday, yday, isdst}`.
public struct DateTable: Sendable, Hashable {
    /// The year, e.g. 2024.
    public var year: Int
    /// The month, 1...12.
    public var month: Int
    /// The day of the month, 1...31.
    public var day: Int
    /// The hour, 0...23.
    public var hour: Int
    /// Minutes (Lua field `min`).
    public var min: Int
    /// Seconds (Lua field `sec`).
    public var sec: Int
    /// Weekday with Sunday = 1 ... Saturday = 7 (Lua's convention).
    public var wday: Int
    /// Day of the year, 1...366.
    public var yday: Int
    /// Whether daylight saving time is in effect.
    public var isdst: Bool

    /// Creates a table from its fields.
    public init(year: Int, month: Int, day: Int, hour: Int, min: Int, sec: Int, wday: Int, yday: Int, isdst: Bool) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.min = min
        self.sec = sec
        self.wday = wday
        self.yday = yday
        self.isdst = isdst
    }
}
