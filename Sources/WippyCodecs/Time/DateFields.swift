/// The fields of the table passed to `os.time{...}`; a missing field is `nil`.
public struct DateFields: Sendable, Hashable {
    /// The year; defaults to the current year.
    public var year: Int?
    /// The month (1...12, out-of-range values normalise); defaults to the current month.
    public var month: Int?
    /// The day of the month; defaults to today.
    public var day: Int?
    /// The hour; defaults to 0.
    public var hour: Int?
    /// Minutes (Lua field `min`); defaults to 0.
    public var min: Int?
    /// Seconds (Lua field `sec`); defaults to 0.
    public var sec: Int?

    /// Creates the fields; omitted ones take the `os.time` defaults.
    public init(
        year: Int? = nil, month: Int? = nil, day: Int? = nil, hour: Int? = nil, min: Int? = nil, sec: Int? = nil
    ) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.min = min
        self.sec = sec
    }
}
