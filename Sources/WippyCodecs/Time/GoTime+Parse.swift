public import WippyCore

extension GoTime {
    /// Parses `value` with a Go reference-time layout (Go's `time.Parse` / `time.ParseInLocation`).
    ///
    /// Layout elements are those of ``format(_:)``. Elements missing from the layout default to
    /// January 1, year 0, 00:00:00. A value with a numeric offset gets that offset (as `location`
    /// when `location` has that offset at that instant, otherwise a fixed zone); a value with `Z`
    /// or `UTC` is in UTC; an abbreviation that `location` uses at that time selects `location`.
    ///
    /// - Parameter location: `nil` behaves like Go's `time.Parse` (no zone in the value means UTC,
    ///   offsets are matched against the local zone); a location behaves like `time.ParseInLocation`.
    /// - Throws: kind `Invalid` with Go's message, e.g. `parsing time "x" as "2006-01-02": cannot
    ///   parse "x" as "2006"` or `parsing time "2024-13-01": month out of range`.
    public static func parse(layout: String, value: String, in location: GoLocation? = nil) throws(WippyError) -> GoTime
    {
        var layout = layout
        var value = value
        let result = layout.withUTF8 { l in
            value.withUTF8 { v in
                var parser = GoTimeParser(layout: l, value: v)
                return parser.run(defaultLocation: location ?? .utc, local: location ?? .local)
            }
        }
        return try result.get()
    }
}
