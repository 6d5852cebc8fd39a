extension GoTime {
    /// Formats the time with a Go reference-time layout (Go's `Time.Format`), for example
    /// `"2006-01-02T15:04:05Z07:00"` or ``GoLayouts/rfc1123``.
    ///
    /// Recognised elements: `2006 06 01 1 Jan January 02 2 _2 15 03 3 04 4 05 5 PM pm Mon Monday
    /// 002 __2 MST -0700 -07:00 -07 -070000 -07:00:00 Z0700 Z07:00 Z07 Z070000 Z07:00:00` and
    /// fractional seconds `.000` / `.999` / `,000` / `,999` of any length. Everything else is copied.
    public func format(_ layout: String) -> String {
        let zone = location.lookup(seconds)
        let fields = CivilCalendar.fields(localSeconds: seconds &+ Int64(zone.offset))
        var layout = layout
        return layout.withUTF8 { bytes in
            // Worst cases: "2006" -> 20 bytes, ".9" -> 10 bytes, "MST" -> the zone name.
            let capacity = bytes.count * 5 + 16 + zone.name.utf8.count * (bytes.count / 3 + 1)
            return ByteWriter.string(capacity: capacity) { out in
                Self.appendFormat(
                    &out, layout: bytes, fields: fields, nanosecond: Int(nanoseconds),
                    zoneName: zone.name, offset: zone.offset
                )
            }
        }
    }

    /// Go's `appendFormat` over precomputed fields.
    static func appendFormat(
        _ out: inout ByteWriter, layout: UnsafeBufferPointer<UInt8>, fields f: CivilCalendar.Fields,
        nanosecond: Int, zoneName: String, offset: Int
    ) {
        var position = 0
        while position < layout.count {
            let chunk = GoLayoutToken.next(in: layout, from: position)
            out.append(UnsafeBufferPointer(rebasing: layout[position..<chunk.prefixEnd]))
            guard let token = chunk.token else { break }
            position = chunk.suffixStart
            switch token.kind {
            case .year:
                out.appendInt(abs(f.year % 100), width: 2)
            case .longYear:
                out.appendInt(f.year, width: 4)
            case .month:
                out.append(GoCalendarNames.shortMonths[f.month - 1])
            case .longMonth:
                out.append(GoCalendarNames.longMonths[f.month - 1])
            case .numMonth:
                out.appendInt(f.month, width: 0)
            case .zeroMonth:
                out.appendInt(f.month, width: 2)
            case .weekDay:
                out.append(GoCalendarNames.shortDays[f.weekday])
            case .longWeekDay:
                out.append(GoCalendarNames.longDays[f.weekday])
            case .day:
                out.appendInt(f.day, width: 0)
            case .underDay:
                if f.day < 10 { out.append(UInt8(ascii: " ")) }
                out.appendInt(f.day, width: 0)
            case .zeroDay:
                out.appendInt(f.day, width: 2)
            case .underYearDay:
                if f.yearDay < 100 {
                    out.append(UInt8(ascii: " "))
                    if f.yearDay < 10 { out.append(UInt8(ascii: " ")) }
                }
                out.appendInt(f.yearDay, width: 0)
            case .zeroYearDay:
                out.appendInt(f.yearDay, width: 3)
            case .hour:
                out.appendInt(f.hour, width: 2)
            case .hour12:
                out.appendInt(f.hour % 12 == 0 ? 12 : f.hour % 12, width: 0)
            case .zeroHour12:
                out.appendInt(f.hour % 12 == 0 ? 12 : f.hour % 12, width: 2)
            case .minute:
                out.appendInt(f.minute, width: 0)
            case .zeroMinute:
                out.appendInt(f.minute, width: 2)
            case .second:
                out.appendInt(f.second, width: 0)
            case .zeroSecond:
                out.appendInt(f.second, width: 2)
            case .pm:
                out.append(f.hour >= 12 ? "PM" : "AM" as StaticString)
            case .lowerPM:
                out.append(f.hour >= 12 ? "pm" : "am" as StaticString)
            case .iso8601TZ, .iso8601SecondsTZ, .iso8601ShortTZ, .iso8601ColonTZ, .iso8601ColonSecondsTZ,
                .numTZ, .numSecondsTZ, .numShortTZ, .numColonTZ, .numColonSecondsTZ:
                appendOffset(&out, token.kind, isISO8601: token.isISO8601, offset: offset)
            case .tz:
                if !zoneName.isEmpty {
                    out.append(zoneName)
                } else {
                    // No abbreviation known: print the offset as -0700.
                    var zone = offset / 60
                    if zone < 0 {
                        out.append(UInt8(ascii: "-"))
                        zone = -zone
                    } else {
                        out.append(UInt8(ascii: "+"))
                    }
                    out.appendInt(zone / 60, width: 2)
                    out.appendInt(zone % 60, width: 2)
                }
            case .fracSecond0, .fracSecond9:
                appendNano(&out, nanosecond, token)
            }
        }
    }

    /// The numeric zone forms; the `Z` forms print `Z` for a zero offset.
    private static func appendOffset(
        _ out: inout ByteWriter, _ kind: GoLayoutToken.Kind, isISO8601: Bool, offset: Int
    ) {
        if offset == 0 && isISO8601 {
            out.append(UInt8(ascii: "Z"))
            return
        }
        var zone = offset / 60
        var absOffset = offset
        if zone < 0 {
            out.append(UInt8(ascii: "-"))
            zone = -zone
            absOffset = -absOffset
        } else {
            out.append(UInt8(ascii: "+"))
        }
        out.appendInt(zone / 60, width: 2)
        switch kind {
        case .iso8601ColonTZ, .numColonTZ, .iso8601ColonSecondsTZ, .numColonSecondsTZ:
            out.append(UInt8(ascii: ":"))
        default:
            break
        }
        if kind != .numShortTZ && kind != .iso8601ShortTZ {
            out.appendInt(zone % 60, width: 2)
        }
        switch kind {
        case .iso8601SecondsTZ, .numSecondsTZ:
            out.appendInt(absOffset % 60, width: 2)
        case .iso8601ColonSecondsTZ, .numColonSecondsTZ:
            out.append(UInt8(ascii: ":"))
            out.appendInt(absOffset % 60, width: 2)
        default:
            break
        }
    }

    /// Go's `appendNano`: the separator and `digits` digits (at most 9); the `9` form drops
    /// trailing zeros and prints nothing for a zero fraction.
    private static func appendNano(_ out: inout ByteWriter, _ nanosecond: Int, _ token: GoLayoutToken) {
        let trim = token.kind == .fracSecond9
        let n = token.digits
        if trim && (n == 0 || nanosecond == 0) { return }
        out.append(token.separator)
        let start = out.count
        out.appendInt(nanosecond, width: 9)
        if n < 9 { out.removeLast(9 - n) }
        if trim {
            while out.count > start, out.last == UInt8(ascii: "0") { out.removeLast() }
            if out.count == start { out.removeLast() }  // drop the separator too
        }
    }
}
