import Testing
import WippyCore

/// Every payload shape, for round trips.
let archiveSamples: [(String, Payload)] = [
    ("null", .null),
    ("false", .bool(false)),
    ("true", .bool(true)),
    ("zero", .int(0)),
    ("negative int", .int(-1)),
    ("int max", .int(.max)),
    ("int min", .int(.min)),
    ("integral double stays a double", .double(3.0)),
    ("negative zero", .double(-0.0)),
    ("infinity", .double(-.infinity)),
    ("tiny double", .double(.leastNonzeroMagnitude)),
    ("empty string", .string("")),
    ("unicode string", .string("héllo ✓ \u{0}")),
    ("bytes", .bytes([0, 0xff, 0xc3, 0x28])),
    ("empty bytes", .bytes([])),
    ("empty array table", .table(PayloadTable())),
    ("empty object table", .table(PayloadTable(isObject: true))),
    ("array", .array([1, 2.5, "x", nil, true])),
    (
        "mixed table with non-string keys",
        .table(
            PayloadTable(
                array: ["a", "b"],
                fields: [
                    PayloadField(key: "name", value: "wippy"),
                    PayloadField(key: .int(10), value: .bytes([1])),
                    PayloadField(key: .double(1.5), value: .map([("nested", .array([.map([])]))])),
                    PayloadField(key: .bool(true), value: .null),
                ]))
    ),
    ("reference", .array([.map([("self", .reference(0))]), .reference(1)])),
    ("plain error", .error(WippyError("boom"))),
    (
        "structured error",
        .error(
            WippyError(
                "not there", kind: .notFound, retryable: true, details: .map([("id", "app:x"), ("code", 404)]),
                context: ["while loading", "in app:main"]))
    ),
    ("error retryable false", .error(WippyError.invalid("bad"))),
]

@Suite struct PayloadArchiveTests {
    @Test(arguments: archiveSamples.map(\.0))
    func roundTripsEveryShape(name: String) throws {
        let payload = archiveSamples.first { $0.0 == name }!.1
        let bytes = try PayloadArchive.encode(payload)
        #expect(Array(bytes.prefix(3)) == PayloadArchive.magic)
        #expect(try PayloadArchive.decode(bytes) == payload)
    }

    /// The writer's map shortcut (the journal's event envelope) writes exactly what encoding the map would.
    @Test(arguments: archiveSamples.map(\.0))
    func aMapWrittenDirectlyIsTheSameArchiveAsTheMapPayload(_ name: String) throws {
        let body = try #require(archiveSamples.first { $0.0 == name }?.1)
        var writer = PayloadArchiveWriter()
        try writer.write(map: ("t", .int(1_733_000_000_123)), ("v", body))
        #expect(writer.bytes == (try PayloadArchive.encode(.map([("t", .int(1_733_000_000_123)), ("v", body)]))))
        var one = PayloadArchiveWriter()
        try one.write(map: ("only", body))
        #expect(one.bytes == (try PayloadArchive.encode(.map([("only", body)]))))
        // A workflow's `call` command is journaled the same way.
        let call = WorkflowCommand.call(function: "app:step", arguments: .array([body, .int(2)]), options: body)
        #expect(WorkflowJournalCodec.command(call) == (try PayloadArchive.encode(call.payload)))
    }

    @Test func doublesKeepTheirBitPatternIncludingNaN() throws {
        let nan = Double(nan: 0x1234, signaling: false)
        for value in [nan, -0.0, 0.0, 1e308, -.infinity] {
            guard case .double(let back) = try PayloadArchive.decode(PayloadArchive.encode(.double(value))) else {
                Issue.record("\(value) did not come back as a double")
                continue
            }
            #expect(back.bitPattern == value.bitPattern)
        }
    }

    @Test func intsAndDoublesStayApart() throws {
        #expect(try PayloadArchive.decode(PayloadArchive.encode(.int(3))) == .int(3))
        #expect(try PayloadArchive.decode(PayloadArchive.encode(.double(3))) == .double(3))
        #expect(try PayloadArchive.decode(PayloadArchive.encode(.string("ab"))) != .bytes([0x61, 0x62]))
    }

    @Test func tableFieldOrderAndObjectFlagSurvive() throws {
        let table = PayloadTable(fields: [PayloadField(key: "z", value: 1), PayloadField(key: "a", value: 2)])
        guard case .table(let back) = try PayloadArchive.decode(PayloadArchive.encode(.table(table))) else {
            Issue.record("not a table")
            return
        }
        #expect(back.fields.map(\.key) == ["z", "a"])
        #expect(back.isObject)
        guard case .table(let empty) = try PayloadArchive.decode(PayloadArchive.encode(.table(PayloadTable()))) else {
            Issue.record("not a table")
            return
        }
        #expect(!empty.isObject)
    }

    @Test func everyTruncationIsRejectedWithAnOffset() throws {
        for (_, payload) in archiveSamples {
            let bytes = try PayloadArchive.encode(payload)
            for length in 0..<bytes.count {
                do {
                    _ = try PayloadArchive.decode(Array(bytes.prefix(length)))
                    Issue.record("a \(length)-byte prefix of \(bytes.count) bytes of \(payload) was accepted")
                } catch {
                    #expect(error.kind == .invalid)
                    #expect(error.message.hasPrefix("payload archive:"))
                }
            }
        }
    }

    @Test func garbageIsRejectedClearly() throws {
        func failure(_ bytes: [UInt8]) -> String? {
            do {
                _ = try PayloadArchive.decode(bytes)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(failure(Array("{\"json\": true}".utf8))?.contains("not an archive") == true)
        #expect(failure(PayloadArchive.magic + [99, 0])?.contains("format version 99 is not supported") == true)
        let header = PayloadArchive.magic + [PayloadArchive.formatVersion]
        #expect(failure(header + [42]) == "payload archive: unknown payload tag 42 at byte 4")
        #expect(failure(header + [0, 0])?.contains("1 unexpected bytes after the end") == true)
        // a string claiming a huge length
        #expect(failure(header + [5, 0xff, 0xff, 0xff, 0xff, 0x0f])?.contains("larger than the data left") == true)
        // a table with an array count far beyond the data
        #expect(failure(header + [7, 0, 0xff, 0xff, 0x03])?.contains("table array count") == true)
        // invalid UTF-8 in a string
        #expect(failure(header + [5, 2, 0xc3, 0x28])?.contains("not valid UTF-8") == true)
        // a varint longer than 64 bits
        #expect(failure(header + [3] + [UInt8](repeating: 0xff, count: 11))?.contains("overflows 64 bits") == true)
        #expect(failure(header + [7, 5, 0, 0])?.contains("invalid table flags 5") == true)
    }

    @Test func randomBytesNeverCrashTheReader() throws {
        var generator = SystemRandomNumberGenerator()
        let header = PayloadArchive.magic + [PayloadArchive.formatVersion]
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let body = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // either a payload or an Invalid error; anything else (a trap) fails the run
            if let payload = try? PayloadArchive.decode(header + body) {
                #expect(try PayloadArchive.decode(PayloadArchive.encode(payload)) == payload || payload.containsNaN)
            }
        }
    }

    @Test func nestingIsBounded() throws {
        var deep: Payload = .null
        for _ in 0..<(PayloadArchive.maximumDepth + 1) { deep = .array([deep]) }
        #expect(throws: WippyError.self) { try PayloadArchive.encode(deep) }
        // the same depth forged by hand is refused when read
        let header = PayloadArchive.magic + [PayloadArchive.formatVersion]
        let forged = header + Array(repeating: [7, 0, 1], count: PayloadArchive.maximumDepth + 1).flatMap { $0 } + [0]
        #expect(throws: WippyError.self) { try PayloadArchive.decode(forged) }
        var fine: Payload = .null
        for _ in 0..<200 { fine = .array([fine]) }
        #expect(try PayloadArchive.decode(PayloadArchive.encode(fine)) == fine)
    }

    @Test func changesetsRoundTripWithOriginsAndOriginals() throws {
        var meta = PayloadTable()
        meta["tags"] = .array(["a", "b"])
        let origin = EntryOrigin(file: "src/_index.yaml", line: 12, inlinedFiles: ["source": "src/main.lua"])
        let new = Entry(id: EntryID(namespace: "app.sub", name: "svc"), kind: "process.lua", meta: meta, data: .map([("n", 1.5)]), origin: origin)
        var old = new
        old.data = .map([("n", 1)])
        old.origin = EntryOrigin(file: "src/old.yaml")
        let changes: [RegistryChange] = [
            .create(Entry(id: EntryID(namespace: "", name: ""), kind: "")),
            RegistryChange(kind: .update, entry: new, original: old),
            RegistryChange(kind: .delete, entry: old, original: old),
        ]
        let back = try RegistryChange.unarchive(RegistryChange.archive(changes))
        #expect(back == changes)
        // equality ignores origins: check them one by one
        #expect(back.map(\.entry.origin) == changes.map(\.entry.origin))
        #expect(back.map(\.original?.origin) == changes.map(\.original?.origin))
        #expect(back[1].entry.origin?.line == 12)
        #expect(back[0].entry.origin == nil)
        #expect(try RegistryChange.unarchive(RegistryChange.archive([])) == [])
    }

    @Test func damagedChangesetsAreRejected() throws {
        let bytes = try RegistryChange.archive([.create(Entry(id: EntryID(parsing: "app:x"), kind: "test.kind", data: "v"))])
        for length in 0..<bytes.count {
            #expect(throws: WippyError.self) { try RegistryChange.unarchive(Array(bytes.prefix(length))) }
        }
        var wrongKind = bytes
        wrongKind[5] = 9  // the first change's kind code, after the header and the count
        #expect {
            try RegistryChange.unarchive(wrongKind)
        } throws: { error in
            (error as? WippyError)?.message == "payload archive: unknown change kind 9 at byte 5"
        }
    }
}

extension Payload {
    /// NaN never equals itself, so a payload holding one cannot compare equal to its round trip.
    fileprivate var containsNaN: Bool {
        switch self {
        case .double(let value): return value.isNaN
        case .table(let table): return table.array.contains { $0.containsNaN } || table.fields.contains { $0.key.containsNaN || $0.value.containsNaN }
        case .error(let error): return error.details?.containsNaN ?? false
        default: return false
        }
    }
}
