/// Server-sent event framing (lua-api-io §2.3, §11.7): `event: <name>\ndata: <data>\n\n`, where `data` is
/// one line (JSON-encoded by the caller). Text with line breaks becomes one `data:` line per line.
public enum SSEFrame {
    /// `event: <name>` (when given) and `data:` lines for `data`, ended by a blank line.
    public static func event(name: String?, data: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(data.count + (name?.utf8.count ?? 0) + 16)
        if let name, !name.isEmpty { frame += Array("event: \(clean(name))\n".utf8) }
        var line: [UInt8] = []
        func emitLine() {
            frame += Array("data: ".utf8)
            frame += line
            frame.append(0x0A)
            line = []
        }
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == 0x0A || byte == 0x0D {
                emitLine()
                if byte == 0x0D, index + 1 < data.count, data[index + 1] == 0x0A { index += 1 }
            } else {
                line.append(byte)
            }
            index += 1
        }
        emitLine()
        frame.append(0x0A)
        return frame
    }

    /// A comment line (`: text`), which clients ignore: used as a heartbeat.
    public static func comment(_ text: String) -> [UInt8] { Array(": \(clean(text))\n\n".utf8) }

    /// `retry: <ms>` (how long a client waits before reconnecting).
    public static func retry(milliseconds: Int) -> [UInt8] { Array("retry: \(milliseconds)\n\n".utf8) }

    /// `id: <id>` (the last event ID a reconnecting client sends back).
    public static func id(_ id: String) -> [UInt8] { Array("id: \(clean(id))\n".utf8) }

    /// A field value without line breaks.
    static func clean(_ text: String) -> String { String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }
}
