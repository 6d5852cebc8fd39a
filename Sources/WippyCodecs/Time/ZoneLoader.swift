internal import Foundation
internal import Synchronization

/// Finds and caches zone data.
enum ZoneLoader {
    /// Where Go looks for zone files on Unix systems.
    static let zoneDirectories = [
        "/usr/share/zoneinfo/", "/usr/share/lib/zoneinfo/", "/usr/lib/locale/TZ/", "/etc/zoneinfo/",
    ]

    private static let cache = Mutex<[String: GoLocation]>([:])

    /// A zone loaded before, without touching the disk.
    static func cached(name: String) -> GoLocation? { cache.withLock { $0[name] } }

    /// Loads an IANA zone by name from the zone directories, else from Foundation; cached.
    static func load(name: String) -> GoLocation? {
        if let cached = cache.withLock({ $0[name] }) { return cached }
        var location: GoLocation?
        for directory in zoneDirectories {
            if let info = readZone(path: directory + name) {
                location = GoLocation(name: name, storage: .tzif(info))
                break
            }
        }
        if location == nil, let zone = TimeZone(identifier: name) {
            location = GoLocation(name: name, storage: .system(zone))
        }
        if let location {
            cache.withLock { $0[name] = location }
        }
        return location
    }

    /// Reads and parses one TZif file.
    static func readZone(path: String) -> ZoneInfo? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
            let data = FileManager.default.contents(atPath: path)
        else { return nil }
        return ZoneInfo(tzif: [UInt8](data))
    }

    /// Go's `initLocal` for Unix.
    static func loadLocal() -> GoLocation {
        let environment = ProcessInfo.processInfo.environment
        guard var tz = environment["TZ"] else {
            if let info = readZone(path: "/etc/localtime") {
                return GoLocation(name: "Local", storage: .tzif(info))
            }
            return GoLocation(name: "UTC", storage: .utc)
        }
        if tz.hasPrefix(":") { tz.removeFirst() }
        if tz.hasPrefix("/") {
            if let info = readZone(path: tz) {
                return GoLocation(name: tz == "/etc/localtime" ? "Local" : tz, storage: .tzif(info))
            }
        } else if !tz.isEmpty && tz != "UTC" {
            if let location = load(name: tz) {
                return location
            }
        }
        return GoLocation(name: "UTC", storage: .utc)
    }
}
