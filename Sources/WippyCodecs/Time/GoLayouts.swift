/// Go's predefined layouts (`time.RFC3339`, ...), exposed to Lua as `time.RFC3339` and friends.
public enum GoLayouts {
    /// `"Mon Jan _2 15:04:05 2006"`
    public static let ansic = "Mon Jan _2 15:04:05 2006"
    /// `"Mon Jan _2 15:04:05 MST 2006"`
    public static let unixDate = "Mon Jan _2 15:04:05 MST 2006"
    /// `"Mon Jan 02 15:04:05 -0700 2006"`
    public static let rubyDate = "Mon Jan 02 15:04:05 -0700 2006"
    /// `"02 Jan 06 15:04 MST"`
    public static let rfc822 = "02 Jan 06 15:04 MST"
    /// `"02 Jan 06 15:04 -0700"` (RFC 822 with a numeric zone)
    public static let rfc822Z = "02 Jan 06 15:04 -0700"
    /// `"Monday, 02-Jan-06 15:04:05 MST"`
    public static let rfc850 = "Monday, 02-Jan-06 15:04:05 MST"
    /// `"Mon, 02 Jan 2006 15:04:05 MST"`
    public static let rfc1123 = "Mon, 02 Jan 2006 15:04:05 MST"
    /// `"Mon, 02 Jan 2006 15:04:05 -0700"` (RFC 1123 with a numeric zone)
    public static let rfc1123Z = "Mon, 02 Jan 2006 15:04:05 -0700"
    /// `"2006-01-02T15:04:05Z07:00"`
    public static let rfc3339 = "2006-01-02T15:04:05Z07:00"
    /// `"2006-01-02T15:04:05.999999999Z07:00"`
    public static let rfc3339Nano = "2006-01-02T15:04:05.999999999Z07:00"
    /// `"3:04PM"`
    public static let kitchen = "3:04PM"
    /// `"Jan _2 15:04:05"`
    public static let stamp = "Jan _2 15:04:05"
    /// `"Jan _2 15:04:05.000"`
    public static let stampMilli = "Jan _2 15:04:05.000"
    /// `"Jan _2 15:04:05.000000"`
    public static let stampMicro = "Jan _2 15:04:05.000000"
    /// `"Jan _2 15:04:05.000000000"`
    public static let stampNano = "Jan _2 15:04:05.000000000"
    /// `"2006-01-02 15:04:05"`
    public static let dateTime = "2006-01-02 15:04:05"
    /// `"2006-01-02"`
    public static let dateOnly = "2006-01-02"
    /// `"15:04:05"`
    public static let timeOnly = "15:04:05"
}
