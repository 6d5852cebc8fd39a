/// How the engine encodes journal payloads: every event carries the workflow time it happened at (what
/// `time.now()` reads after it is delivered) and a body; commands carry their payload. Both are
/// ``PayloadArchive`` bytes, so tools can print them.
public enum WorkflowJournalCodec {
    /// An event's payload: `{t = time, v = body}`.
    public static func event(time: Int64, _ body: Payload) -> [UInt8] {
        var writer = PayloadArchiveWriter()
        do throws(WippyError) {
            try writer.write(map: ("t", .int(time)), ("v", body))
        } catch {
            return []
        }
        return writer.bytes
    }

    /// The time and body of an event's payload.
    ///
    /// - Throws: `Invalid` when the bytes are not an event payload.
    public static func decodeEvent(_ bytes: [UInt8]) throws(WippyError) -> (time: Int64, body: Payload) {
        let payload = try PayloadArchive.decode(bytes)
        guard let table = payload.tableValue, let time = table["t"]?.intValue else {
            throw WippyError.invalid("journal event payload is not {t, v}")
        }
        return (time, table["v"] ?? .null)
    }

    public static func command(_ command: WorkflowCommand) -> [UInt8] {
        if case .call(_, let arguments, let options) = command {
            // A step's command, written straight into the archive: the same bytes as encoding
            // `command.payload`, without building that map first (about 1.3k instructions per step).
            var writer = PayloadArchiveWriter()
            do throws(WippyError) {
                try writer.write(map: ("args", arguments), ("options", options))
            } catch {
                return []
            }
            return writer.bytes
        }
        return (try? PayloadArchive.encode(command.payload)) ?? []
    }

    /// A journaled command's payload.
    public static func decodeCommand(_ bytes: [UInt8]) throws(WippyError) -> Payload {
        try PayloadArchive.decode(bytes)
    }
}
