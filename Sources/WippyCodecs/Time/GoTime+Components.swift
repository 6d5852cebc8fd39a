extension GoTime {
    /// Every calendar and clock field of a ``GoTime`` in its location, computed in one pass.
    public struct Components: Sendable, Hashable {
        /// The year.
        public var year: Int
        /// 1 = January ... 12 = December.
        public var month: Int
        /// The day of the month.
        public var day: Int
        /// The hour, 0...23.
        public var hour: Int
        /// The minute, 0...59.
        public var minute: Int
        /// The second, 0...59.
        public var second: Int
        /// The nanosecond within the second.
        public var nanosecond: Int
        /// 0 = Sunday ... 6 = Saturday.
        public var weekday: Int
        /// 1...365, or 366 in leap years.
        public var yearDay: Int
        /// The zone abbreviation in effect, such as `"CET"`, `"UTC"`, or `""` for an unnamed fixed zone.
        public var zoneName: String
        /// Seconds east of UTC in effect.
        public var zoneOffset: Int
        /// Whether daylight saving time is in effect.
        public var isDST: Bool
        /// Days since 1970-01-01 of the local date.
        var dayNumber: Int64
    }

    /// All calendar fields at once; cheaper than reading several properties one by one.
    public var components: Components {
        let zone = location.lookup(seconds)
        let f = CivilCalendar.fields(localSeconds: seconds &+ Int64(zone.offset))
        return Components(
            year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute, second: f.second,
            nanosecond: Int(nanoseconds), weekday: f.weekday, yearDay: f.yearDay,
            zoneName: zone.name, zoneOffset: zone.offset, isDST: zone.isDST, dayNumber: f.dayNumber
        )
    }

    /// Calendar fields without the zone name (no string copy).
    var localFields: CivilCalendar.Fields {
        CivilCalendar.fields(localSeconds: seconds &+ Int64(location.offset(at: seconds)))
    }

    /// The year (Go's `Year`).
    public var year: Int { localFields.year }
    /// The month, 1...12 (Go's `Month`).
    public var month: Int { localFields.month }
    /// The day of the month (Go's `Day`).
    public var day: Int { localFields.day }
    /// The hour, 0...23 (Go's `Hour`).
    public var hour: Int { localFields.hour }
    /// The minute, 0...59 (Go's `Minute`).
    public var minute: Int { localFields.minute }
    /// The second, 0...59 (Go's `Second`).
    public var second: Int { localFields.second }
    /// The nanosecond within the second (Go's `Nanosecond`).
    public var nanosecond: Int { Int(nanoseconds) }
    /// The weekday, 0 = Sunday ... 6 = Saturday (Go's `Weekday`).
    public var weekday: Int { localFields.weekday }
    /// The day of the year, 1...366 (Go's `YearDay`).
    public var yearDay: Int { localFields.yearDay }

    /// The zone abbreviation and offset (seconds east of UTC) in effect (Go's `Zone`).
    public var zone: (name: String, offset: Int) {
        let z = location.lookup(seconds)
        return (z.name, z.offset)
    }

    /// The ISO 8601 year and week number (Go's `ISOWeek`). Weeks start on Monday and week 1 is
    /// the one containing January 4, so January 1...3 may belong to the previous year's last week
    /// and December 29...31 to the next year's week 1.
    public var isoWeek: (year: Int, week: Int) {
        Self.isoWeek(dayNumber: localFields.dayNumber)
    }

    /// ISO year and week of local day number `days`.
    static func isoWeek(dayNumber days: Int64) -> (year: Int, week: Int) {
        // Move to the Thursday of the same Monday-based week; its year is the ISO year.
        var shift = 4 - CivilCalendar.weekday(dayNumber: days)
        if shift == 4 { shift = -3 }  // Sunday belongs to the week that started six days earlier.
        let thursday = CivilCalendar.date(dayNumber: days &+ Int64(shift))
        return (thursday.year, (thursday.yearDay - 1) / 7 + 1)
    }
}
