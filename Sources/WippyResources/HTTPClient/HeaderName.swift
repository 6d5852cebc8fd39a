/// Header names in the canonical form Wippy code sees (`content-type` → `Content-Type`): the first letter and
/// each letter after a `-` upper-case, the rest lower-case. A name with a byte outside `A-Za-z0-9-` and the
/// other token characters is left as it is.
public enum HeaderName {
    public static func canonical(_ name: String) -> String {
        var bytes = Array(name.utf8)
        var upper = true
        for index in bytes.indices {
            let byte = bytes[index]
            guard isToken(byte) else { return name }
            if upper, byte >= UInt8(ascii: "a"), byte <= UInt8(ascii: "z") {
                bytes[index] = byte - 32
            } else if !upper, byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                bytes[index] = byte + 32
            }
            upper = byte == UInt8(ascii: "-")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
