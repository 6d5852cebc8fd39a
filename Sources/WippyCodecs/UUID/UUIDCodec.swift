public import WippyCore

/// UUIDs as the Lua `uuid` module sees them: canonical lowercase strings in, strings and tables out.
///
/// Parsing accepts every form of ``UUIDValue/init(parsing:)``: canonical, 32 hex digits, `urn:uuid:…` and `{…}`.
/// All errors are ``WippyError``s of kind ``ErrorKind/invalid``. Generation is safe from any thread.
public enum UUIDCodec {
    /// A new time-based (version 1) UUID in canonical form.
    public static func v1() -> String { UUIDGenerator.v1().description }

    /// A new random (version 4) UUID in canonical form.
    public static func v4() -> String { UUIDGenerator.v4().description }

    /// A new time-ordered (version 7) UUID in canonical form; values from one process strictly increase.
    public static func v7() -> String { UUIDGenerator.v7().description }

    /// The MD5 name-based (version 3) UUID of `name` in `namespace`.
    ///
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid`` when `namespace` is not a valid UUID.
    public static func v3(namespace: String, name: String) throws(WippyError) -> String {
        try v3(namespace: namespace, name: Array(name.utf8))
    }

    /// The MD5 name-based (version 3) UUID of the byte string `name` in `namespace`.
    public static func v3(namespace: String, name: [UInt8]) throws(WippyError) -> String {
        UUIDGenerator.nameBased(version: 3, namespace: try parseNamespace(namespace), name: name).description
    }

    /// The SHA-1 name-based (version 5) UUID of `name` in `namespace`.
    ///
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid`` when `namespace` is not a valid UUID.
    public static func v5(namespace: String, name: String) throws(WippyError) -> String {
        try v5(namespace: namespace, name: Array(name.utf8))
    }

    /// The SHA-1 name-based (version 5) UUID of the byte string `name` in `namespace`.
    public static func v5(namespace: String, name: [UInt8]) throws(WippyError) -> String {
        UUIDGenerator.nameBased(version: 5, namespace: try parseNamespace(namespace), name: name).description
    }

    /// Whether `s` is a UUID in any accepted form.
    public static func validate(_ s: String) -> Bool { UUIDValue.isValid(s) }

    /// The version number (the high nibble of byte 6) of `s`.
    public static func version(_ s: String) throws(WippyError) -> Int { try UUIDValue(parsing: s).version }

    /// The variant of `s`: `RFC4122`, `Microsoft`, `Future` or `Reserved` (see ``UUIDValue/variant``).
    public static func variant(_ s: String) throws(WippyError) -> String { try UUIDValue(parsing: s).variant }

    /// Describes `s` as a table: `{version=int, variant=string}`, plus `timestamp` (whole Unix seconds) for time-based
    /// versions 1, 6 and 7, plus `node` (the 6 raw node bytes) for version 1.
    public static func parse(_ s: String) throws(WippyError) -> Payload {
        let value = try UUIDValue(parsing: s)
        var pairs: [(String, Payload)] = [("version", .int(Int64(value.version))), ("variant", .string(value.variant))]
        if let seconds = value.unixSeconds, value.version != 2 { pairs.append(("timestamp", .int(seconds))) }
        if value.version == 1 {
            let node = Array(value.bytes[10..<16])
            pairs.append(("node", String(validating: node, as: UTF8.self).map(Payload.string) ?? .bytes(node)))
        }
        return .map(pairs)
    }

    /// Reformats `s`: `standard` (canonical, lowercase), `simple` (32 hex digits) or `urn` (`urn:uuid:` prefix).
    ///
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid`` for an invalid UUID or an unknown style.
    public static func format(_ s: String, style: String = "standard") throws(WippyError) -> String {
        let value = try UUIDValue(parsing: s)
        switch style {
        case "standard": return value.description
        case "simple": return value.format(dashes: false)
        case "urn": return "urn:uuid:" + value.description
        default: throw .invalid("unsupported format: \(style)")
        }
    }

    /// Well-known namespaces of RFC 4122 appendix C, for ``v3(namespace:name:)-(_,String)`` and
    /// ``v5(namespace:name:)-(_,String)``.
    public static let namespaceDNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    public static let namespaceURL = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"
    public static let namespaceOID = "6ba7b812-9dad-11d1-80b4-00c04fd430c8"
    public static let namespaceX500 = "6ba7b814-9dad-11d1-80b4-00c04fd430c8"

    private static func parseNamespace(_ namespace: String) throws(WippyError) -> UUIDValue {
        do {
            return try UUIDValue(parsing: namespace)
        } catch {
            throw .invalid("invalid namespace UUID: \(error.message)")
        }
    }
}
