/// Wippy's replacements for Lua's `os.date` and `os.time`, with Go-based semantics.
///
/// `os.date` takes a strftime-style format: a leading `!` means UTC (otherwise the local zone),
/// `*t` asks for a ``DateTable``. Supported specifiers: `%a %A %b %B %c %d %H %I %j %m %M %p %S
/// %U %w %W %x %X %y %Y %z %Z %%`, where `%c` is Go's `"Mon Jan _2 15:04:05 2006"`, `%x` is
/// `01/02/06`, `%X` is `15:04:05`, and both `%U` and `%W` give the ISO 8601 week number.
/// Unknown specifiers are copied literally (`%Q` stays `%Q`).
public enum OSDate {
    /// What `os.date` returns: a string, or a table for `*t` / `!*t`.
    public enum Result: Sendable, Hashable {
        case string(String)
        case table(DateTable)
    }

    /// `os.date(format, unixSeconds)`. `format` defaults to `"%c"`; leading `!`s select UTC and a
    /// remaining `*t` prefix selects the table form.
    /// - Parameter local: the zone used without `!` (the process's local zone by default).
    public static func date(_ format: String = "%c", unixSeconds: Int64, local: GoLocation = .local) -> Result {
        let utc = format.utf8.first == UInt8(ascii: "!")
        let body = utc ? Substring(format.drop { $0 == "!" }) : Substring(format)
        if body.hasPrefix("*t") {
            return .table(table(unixSeconds: unixSeconds, utc: utc, local: local))
        }
        return .string(self.format(format, unixSeconds: unixSeconds, local: local))
    }

    /// The string form of `os.date(format, unixSeconds)`; leading `!`s select UTC. A `*t` format is
    /// not special here (see ``date(_:unixSeconds:local:)``).
    public static func format(_ format: String, unixSeconds: Int64, local: GoLocation = .local) -> String {
        var format = format
        return format.withUTF8 { bytes in
            var start = 0
            while start < bytes.count && bytes[start] == UInt8(ascii: "!") { start += 1 }
            let location = start > 0 ? GoLocation.utc : local
            let zone = location.lookup(unixSeconds)
            let fields = CivilCalendar.fields(localSeconds: unixSeconds &+ Int64(zone.offset))
            let body = UnsafeBufferPointer(rebasing: bytes[start...])
            // Worst cases: "%c" -> 24 bytes, "%Y" -> 20 bytes, "%Z" -> the zone name.
            let capacity = body.count * 12 + 16 + zone.name.utf8.count * (body.count / 2 + 1)
            return ByteWriter.string(capacity: capacity) { out in
                appendFormat(&out, body, fields: fields, zoneName: zone.name, offset: zone.offset)
            }
        }
    }

    /// The `os.date("*t", unixSeconds)` table; `utc` is the `!*t` form.
    public static func table(unixSeconds: Int64, utc: Bool, local: GoLocation = .local) -> DateTable {
        let c = GoTime(seconds: unixSeconds, location: utc ? .utc : local).components
        return DateTable(
            year: c.year, month: c.month, day: c.day, hour: c.hour, min: c.minute, sec: c.second,
            wday: c.weekday + 1, yday: c.yearDay, isdst: c.isDST
        )
    }

    /// `os.time{...}`: the Unix time of the given local wall clock. A missing year, month or day is
    /// today's (in `local`); a missing hour, minute or second is 0 (unlike stock Lua's 12:00:00).
    /// Out-of-range values normalise like ``GoTime/date(year:month:day:hour:minute:second:nanosecond:location:)``.
    /// - Parameter now: the instant that defines "today" (the current time by default).
    public static func time(from fields: DateFields, now: GoTime? = nil, local: GoLocation = .local) -> Int64 {
        var year = fields.year
        var month = fields.month
        var day = fields.day
        if year == nil || month == nil || day == nil {
            let today = (now ?? GoTime.now()).inLocation(local).localFields
            year = year ?? today.year
            month = month ?? today.month
            day = day ?? today.day
        }
        return GoTime.date(
            year: year ?? 0, month: month ?? 1, day: day ?? 1, hour: fields.hour ?? 0,
            minute: fields.min ?? 0, second: fields.sec ?? 0, nanosecond: 0, location: local
        ).seconds
    }

    /// Expands the specifiers of `format` for the given fields.
    static func appendFormat(
        _ out: inout ByteWriter, _ format: UnsafeBufferPointer<UInt8>, fields f: CivilCalendar.Fields,
        zoneName: String, offset: Int
    ) {
        func layout(_ layout: StaticString) {
            layout.withUTF8Buffer { bytes in
                GoTime.appendFormat(&out, layout: bytes, fields: f, nanosecond: 0, zoneName: zoneName, offset: offset)
            }
        }
        var i = 0
        while i < format.count {
            let c = format[i]
            i += 1
            guard c == UInt8(ascii: "%") else {
                out.append(c)
                continue
            }
            guard i < format.count else {
                out.append(c)
                break
            }
            let spec = format[i]
            i += 1
            switch spec {
            case UInt8(ascii: "a"): out.append(GoCalendarNames.shortDays[f.weekday])
            case UInt8(ascii: "A"): out.append(GoCalendarNames.longDays[f.weekday])
            case UInt8(ascii: "b"): out.append(GoCalendarNames.shortMonths[f.month - 1])
            case UInt8(ascii: "B"): out.append(GoCalendarNames.longMonths[f.month - 1])
            case UInt8(ascii: "c"): layout("Mon Jan _2 15:04:05 2006")
            case UInt8(ascii: "d"): out.appendInt(f.day, width: 2)
            case UInt8(ascii: "H"): out.appendInt(f.hour, width: 2)
            case UInt8(ascii: "I"): out.appendInt(f.hour % 12 == 0 ? 12 : f.hour % 12, width: 2)
            case UInt8(ascii: "j"): out.appendInt(f.yearDay, width: 3)
            case UInt8(ascii: "m"): out.appendInt(f.month, width: 2)
            case UInt8(ascii: "M"): out.appendInt(f.minute, width: 2)
            case UInt8(ascii: "p"): out.append(f.hour >= 12 ? "PM" : "AM" as StaticString)
            case UInt8(ascii: "S"): out.appendInt(f.second, width: 2)
            case UInt8(ascii: "U"), UInt8(ascii: "W"):
                out.appendInt(GoTime.isoWeek(dayNumber: f.dayNumber).week, width: 2)
            case UInt8(ascii: "w"): out.appendInt(f.weekday, width: 0)
            case UInt8(ascii: "x"): layout("01/02/06")
            case UInt8(ascii: "X"): layout("15:04:05")
            case UInt8(ascii: "y"): out.appendInt(abs(f.year % 100), width: 2)
            case UInt8(ascii: "Y"): out.appendInt(f.year, width: 4)
            case UInt8(ascii: "z"): layout("-0700")
            case UInt8(ascii: "Z"): layout("MST")
            case UInt8(ascii: "%"): out.append(UInt8(ascii: "%"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(spec)
            }
        }
    }
}
