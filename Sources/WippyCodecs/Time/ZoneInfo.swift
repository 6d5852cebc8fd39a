/// A time zone read from TZif data (`/usr/share/zoneinfo/...`), with Go's lookup rules.
///
/// Immutable after loading; lookups are a binary search and do not allocate.
final class ZoneInfo: Sendable {
    /// One local time type: abbreviation, offset and DST flag.
    struct Zone: Sendable {
        let name: String
        let offset: Int
        let isDST: Bool
    }

    let zones: [Zone]
    /// Transition instants in Unix seconds, ascending.
    let transitionTimes: [Int64]
    /// For each transition, the index into ``zones`` that takes effect.
    let transitionZones: [UInt8]
    /// The footer rule used after the last transition.
    let extend: PosixTZRule?
    /// The zone used before the first transition (Go's `lookupFirstZone`).
    let firstZone: Int

    /// Parses TZif data (versions 1 to 4) the way Go's `LoadLocationFromTZData` does.
    /// Returns `nil` for malformed data.
    init?(tzif data: [UInt8]) {
        var reader = Reader(data: data)
        guard reader.read(4).map({ $0.elementsEqual("TZif".utf8) }) == true,
            let header = reader.read(16)
        else { return nil }
        let version: Int
        switch header.first {
        case 0: version = 1
        case UInt8(ascii: "2"): version = 2
        case UInt8(ascii: "3"): version = 3
        case UInt8(ascii: "4"): version = 4
        default: return nil
        }
        guard var counts = reader.counts() else { return nil }
        var size = 4
        if version > 1 {
            // Skip the 32-bit block and the second header; read the 64-bit block.
            let skip =
                counts.time * 4 + counts.time + counts.zone * 6 + counts.char + counts.leap * 8
                + counts.stdWall + counts.utcLocal + 4 + 16
            guard reader.read(skip) != nil, let again = reader.counts() else { return nil }
            counts = again
            size = 8
        }
        guard let times = reader.read(counts.time * size),
            let indices = reader.read(counts.time),
            let zoneData = reader.read(counts.zone * 6),
            let abbreviations = reader.read(counts.char),
            reader.read(counts.leap * (size + 4)) != nil,
            reader.read(counts.stdWall) != nil,
            reader.read(counts.utcLocal) != nil
        else { return nil }

        let rest = reader.rest
        if rest.count > 2, rest.first == 0x0A, rest.last == 0x0A {
            extend = PosixTZRule(String(decoding: rest.dropFirst().dropLast(), as: UTF8.self))
        } else {
            extend = nil
        }

        guard counts.zone > 0 else { return nil }
        var zones: [Zone] = []
        zones.reserveCapacity(counts.zone)
        for i in 0..<counts.zone {
            let base = zoneData.startIndex + i * 6
            let offset = Int(Int32(bitPattern: Reader.bigEndian32(zoneData, at: base)))
            let isDST = zoneData[base + 4] != 0
            let nameIndex = Int(zoneData[base + 5])
            guard nameIndex < abbreviations.count else { return nil }
            let nameBytes = abbreviations.dropFirst(nameIndex).prefix { $0 != 0 }
            zones.append(Zone(name: String(decoding: nameBytes, as: UTF8.self), offset: offset, isDST: isDST))
        }

        var transitionTimes: [Int64] = []
        var transitionZones: [UInt8] = []
        transitionTimes.reserveCapacity(counts.time)
        transitionZones.reserveCapacity(counts.time)
        for i in 0..<counts.time {
            let when: Int64
            if size == 4 {
                when = Int64(Int32(bitPattern: Reader.bigEndian32(times, at: times.startIndex + i * 4)))
            } else {
                let hi = UInt64(Reader.bigEndian32(times, at: times.startIndex + i * 8))
                let lo = UInt64(Reader.bigEndian32(times, at: times.startIndex + i * 8 + 4))
                when = Int64(bitPattern: hi << 32 | lo)
            }
            let index = indices[indices.startIndex + i]
            guard Int(index) < zones.count else { return nil }
            transitionTimes.append(when)
            transitionZones.append(index)
        }
        if transitionTimes.isEmpty {
            // A fixed zone such as "Etc/GMT+3": one transition covering all time.
            transitionTimes.append(.min)
            transitionZones.append(0)
        }
        self.zones = zones
        self.transitionTimes = transitionTimes
        self.transitionZones = transitionZones
        self.firstZone = Self.lookupFirstZone(zones: zones, transitionZones: transitionZones)
    }

    /// The zone in effect at Unix second `sec` (Go's `Location.lookup`).
    func lookup(_ sec: Int64) -> GoLocation.ZoneLookup {
        if sec < transitionTimes[0] {
            let zone = zones[firstZone]
            return .init(name: zone.name, offset: zone.offset, start: .min, end: transitionTimes[0], isDST: zone.isDST)
        }
        var lo = 0
        var hi = transitionTimes.count
        var end = Int64.max
        while hi - lo > 1 {
            let m = (lo + hi) >> 1
            let limit = transitionTimes[m]
            if sec < limit {
                end = limit
                hi = m
            } else {
                lo = m
            }
        }
        let zone = zones[Int(transitionZones[lo])]
        let start = transitionTimes[lo]
        if lo == transitionTimes.count - 1, let extend {
            return extend.lookup(sec, lastTransition: start)
        }
        return .init(name: zone.name, offset: zone.offset, start: start, end: end, isDST: zone.isDST)
    }

    /// The offset of the zone abbreviated `name` around Unix second `unix` (Go's `lookupName`).
    func lookupName(_ name: String, unix: Int64) -> Int? {
        // Prefer a zone with that name that was actually in effect at the time.
        for zone in zones where zone.name == name {
            let found = lookup(unix &- Int64(zone.offset))
            if found.name == zone.name { return found.offset }
        }
        return zones.first { $0.name == name }?.offset
    }

    /// Go's `lookupFirstZone`: the zone to use before the first transition.
    private static func lookupFirstZone(zones: [Zone], transitionZones: [UInt8]) -> Int {
        // Case 1: the first zone is unused by transitions, so it is the one to use.
        if !transitionZones.contains(0) { return 0 }
        // Case 2: the first transition goes to DST; use the nearest earlier standard zone.
        if let first = transitionZones.first, zones[Int(first)].isDST {
            var zi = Int(first) - 1
            while zi >= 0 {
                if !zones[zi].isDST { return zi }
                zi -= 1
            }
        }
        // Case 3: the first standard-time zone; case 4: zone 0.
        return zones.firstIndex { !$0.isDST } ?? 0
    }

    /// A forward-only reader over TZif bytes.
    private struct Reader {
        let data: [UInt8]
        var position = 0

        struct Counts {
            var utcLocal = 0, stdWall = 0, leap = 0, time = 0, zone = 0, char = 0
        }

        mutating func read(_ n: Int) -> ArraySlice<UInt8>? {
            guard n >= 0, data.count - position >= n else { return nil }
            defer { position += n }
            return data[position..<position + n]
        }

        var rest: ArraySlice<UInt8> { data[position...] }

        mutating func counts() -> Counts? {
            guard let bytes = read(24) else { return nil }
            var values: [Int] = []
            for i in 0..<6 {
                let v = Self.bigEndian32(bytes, at: bytes.startIndex + i * 4)
                guard v <= UInt32(Int32.max) else { return nil }
                values.append(Int(v))
            }
            return Counts(
                utcLocal: values[0], stdWall: values[1], leap: values[2],
                time: values[3], zone: values[4], char: values[5]
            )
        }

        static func bigEndian32(_ bytes: ArraySlice<UInt8>, at i: Int) -> UInt32 {
            UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
        }
    }
}
