#if canImport(Glibc)
import Glibc
#endif

/// The `format` values ``JSONSchema`` checks; any other format passes (as the JSON Schema specification
/// allows).
enum JSONSchemaFormats {
    static func matches(_ text: String, format: String) -> Bool {
        switch format {
        case "date-time":
            guard let t = text.firstIndex(where: { $0 == "T" || $0 == "t" || $0 == " " }) else { return false }
            return isDate(text[..<t]) && isTime(text[text.index(after: t)...])
        case "date": return isDate(Substring(text))
        case "time": return isTime(Substring(text))
        case "email":
            let parts = text.split(separator: "@", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[0].isEmpty && parts[0].count <= 64 && isHostname(parts[1])
                && !text.contains(where: { $0.isWhitespace })
        case "hostname": return isHostname(Substring(text))
        case "ipv4": return isAddress(text, family: AF_INET) && !text.contains(":")
        case "ipv6": return isAddress(text, family: AF_INET6)
        case "uri":
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else { return false }
            let scheme = text[..<colon]
            return scheme.first!.isLetter && scheme.allSatisfy { $0.isLetter || $0.isNumber || "+-.".contains($0) }
                && !text.contains(where: { $0.isWhitespace })
        case "uuid":
            let groups = text.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            return groups == [8, 4, 4, 4, 12] && text.allSatisfy { $0 == "-" || $0.isHexDigit }
        default:
            return true
        }
    }

    private static func digits(_ text: Substring, _ count: Int) -> Int? {
        guard text.count == count, text.allSatisfy(\.isASCIIDigitCharacter) else { return nil }
        return Int(text)
    }

    /// `YYYY-MM-DD` with a day that exists in that month.
    static func isDate(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, let year = digits(parts[0], 4), let month = digits(parts[1], 2), let day = digits(parts[2], 2),
            (1...12).contains(month), day >= 1
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// `HH:MM:SS[.fraction](Z|±HH:MM)`.
    static func isTime(_ text: Substring) -> Bool {
        var rest = text
        var zoneOK = false
        if rest.hasSuffix("Z") || rest.hasSuffix("z") {
            rest = rest.dropLast()
            zoneOK = true
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = rest[rest.index(after: sign)...].split(separator: ":", omittingEmptySubsequences: false)
            guard zone.count == 2, let hours = digits(zone[0], 2), let minutes = digits(zone[1], 2), hours < 24, minutes < 60
            else { return false }
            rest = rest[..<sign]
            zoneOK = true
        }
        guard zoneOK else { return false }
        if let dot = rest.firstIndex(of: ".") {
            let fraction = rest[rest.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy(\.isASCIIDigitCharacter) else { return false }
            rest = rest[..<dot]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let hour = digits(parts[0], 2), let minute = digits(parts[1], 2), let second = digits(parts[2], 2)
        else { return false }
        return hour < 24 && minute < 60 && second <= 60
    }

    static func isHostname(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && label.first != "-" && label.last != "-"
                && label.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }
        }
    }

    static func isAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1
    }
}

extension Character {
    fileprivate var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
