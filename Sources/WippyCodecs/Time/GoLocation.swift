internal import Foundation
public import WippyCore

/// A time zone, like Go's `*time.Location`: UTC, a fixed offset, an IANA zone, or the local zone.
///
/// IANA zones are read from the system's TZif files (`/usr/share/zoneinfo`) so abbreviations and
/// transitions match Go exactly; when no file exists for a name, Foundation's `TimeZone` is used.
public struct GoLocation: Sendable, CustomStringConvertible {
    /// The zone in effect at one instant, plus the span `start..<end` (Unix seconds) it is known to cover.
    struct ZoneLookup {
        var name: String
        var offset: Int
        var start: Int64
        var end: Int64
        var isDST: Bool
    }

    enum Storage: Sendable {
        case utc
        case fixed(abbreviation: String, offset: Int)
        case tzif(ZoneInfo)
        case system(TimeZone)
    }

    /// The location's name: `"UTC"`, `"Local"`, an IANA name, or a fixed zone's name
    /// (Go's `Location.String()`).
    public let name: String
    let storage: Storage

    init(name: String, storage: Storage) {
        self.name = name
        self.storage = storage
    }

    public var description: String { name }

    /// Coordinated Universal Time (`time.utc`).
    public static let utc = GoLocation(name: "UTC", storage: .utc)

    /// The process's local zone (`time.localtz`), chosen once like Go's `time.Local`: `$TZ` unset
    /// reads `/etc/localtime` (named `"Local"`); `$TZ=""` is UTC; otherwise `$TZ` (optionally
    /// prefixed with `:`) names a zone or an absolute file path. Anything unreadable falls back to UTC.
    public static let local: GoLocation = ZoneLoader.loadLocal()

    /// A zone that always uses `name` and `offsetSeconds` east of UTC (`time.fixed_zone`).
    public static func fixed(name: String, offsetSeconds: Int) -> GoLocation {
        GoLocation(name: name, storage: .fixed(abbreviation: name, offset: offsetSeconds))
    }

    /// Loads a location by IANA name (`time.load_location`), e.g. `"Europe/Berlin"`.
    ///
    /// `"UTC"` gives ``utc`` and `"Local"` gives ``local``.
    /// - Throws: kind `Invalid` for `""` or a name that tries to leave the zoneinfo directory;
    ///   kind `NotFound` (`unknown time zone NAME`) when no such zone exists.
    public static func load(_ name: String) throws(WippyError) -> GoLocation {
        if name.isEmpty { throw .invalid("time: invalid location name \"\"") }
        if name == "UTC" { return .utc }
        if name == "Local" { return .local }
        if name.contains("..") || name.hasPrefix("/") || name.hasPrefix("\\") {
            throw .invalid("time: invalid location name")
        }
        if let location = ZoneLoader.load(name: name) { return location }
        throw .notFound("unknown time zone " + name)
    }

    /// The zone `name` when ``load(_:)`` would not read a file for it (UTC, or loaded before); nil otherwise.
    public static func loaded(_ name: String) -> GoLocation? {
        if name == "UTC" { return .utc }
        return ZoneLoader.cached(name: name)
    }

    /// The zone in effect at Unix second `sec` (Go's `Location.lookup`).
    func lookup(_ sec: Int64) -> ZoneLookup {
        switch storage {
        case .utc:
            return ZoneLookup(name: "UTC", offset: 0, start: .min, end: .max, isDST: false)
        case .fixed(let abbreviation, let offset):
            return ZoneLookup(name: abbreviation, offset: offset, start: .min, end: .max, isDST: false)
        case .tzif(let info):
            return info.lookup(sec)
        case .system(let zone):
            let date = Date(timeIntervalSince1970: Double(sec))
            return ZoneLookup(
                name: zone.abbreviation(for: date) ?? "", offset: zone.secondsFromGMT(for: date),
                start: sec, end: sec &+ 1, isDST: zone.isDaylightSavingTime(for: date)
            )
        }
    }

    /// Only the offset at Unix second `sec`; cheaper than ``lookup(_:)`` for system zones.
    func offset(at sec: Int64) -> Int {
        switch storage {
        case .utc: return 0
        case .fixed(_, let offset): return offset
        case .tzif(let info): return info.lookup(sec).offset
        case .system(let zone): return zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(sec)))
        }
    }

    /// The offset of the zone abbreviated `abbreviation` near Unix second `unix`, if this location
    /// uses that abbreviation (Go's `Location.lookupName`).
    func lookupName(_ abbreviation: String, unix: Int64) -> Int? {
        switch storage {
        case .utc:
            return abbreviation == "UTC" ? 0 : nil
        case .fixed(let name, let offset):
            return abbreviation == name ? offset : nil
        case .tzif(let info):
            return info.lookupName(abbreviation, unix: unix)
        case .system:
            // Sample the zone around the instant (standard and daylight time).
            let halfYear: Int64 = 183 * 86_400
            var fallback: Int?
            for probe in [unix, unix - halfYear, unix + halfYear] {
                let zone = lookup(probe)
                guard zone.name == abbreviation else { continue }
                if lookup(unix &- Int64(zone.offset)).name == abbreviation { return zone.offset }
                fallback = fallback ?? zone.offset
            }
            return fallback
        }
    }
}
