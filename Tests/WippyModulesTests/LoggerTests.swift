import Logging
import Testing
import WippyCore

/// The `logger` module: records reach the runtime's log handler with typed fields, pid and location.
@Suite struct LoggerTests {
    @Test func infoRecordCarriesTypedFieldsPidAndLocation() async throws {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                logger:info("hello", {user = "ann", n = 5, f = 1.5, ok = true, err = errors.new("bad"),
                    nested = {list = {1, 2}, name = "x"}})
                return process.pid()
            end
            """)
        let record = try #require(harness.records.with(message: "hello").first)
        #expect(record.level == .info)
        #expect(record.metadata["user"] == .string("ann"))
        #expect(record.metadata["n"] == .stringConvertible(Int64(5)))
        #expect(record.metadata["f"] == .stringConvertible(1.5))
        #expect(record.metadata["ok"] == .stringConvertible(true))
        #expect(record.metadata["err"] == .string("bad"))
        #expect(record.metadata["nested"] == .dictionary(["list": .array([.stringConvertible(Int64(1)), .stringConvertible(Int64(2))]), "name": .string("x")]))
        #expect(record.metadata["location"] == .string("test:main:2"))
        #expect(record.metadata["pid"] == .string(result.value.stringValue ?? "?"))
        if case .stringConvertible(let n) = record.metadata["n"] { #expect(n is Int64) }
    }

    @Test func levelsMapToSwiftLogLevels() async {
        let harness = ModulesHarness()
        _ = await harness.run("""
            return function()
                logger:debug("d")
                logger:info("i")
                logger:warn("w")
                logger:error("e", {error = errors.new({message = "boom", kind = errors.INTERNAL})})
                logger:info(42)
            end
            """)
        #expect(harness.records.with(message: "d").first?.level == .debug)
        #expect(harness.records.with(message: "i").first?.level == .info)
        #expect(harness.records.with(message: "w").first?.level == .warning)
        #expect(harness.records.with(message: "e").first?.level == .error)
        #expect(harness.records.with(message: "e").first?.metadata["error"] == .string("boom"))
        #expect(harness.records.with(message: "42").count == 1)
    }

    @Test func withAndNamedMakeChildLoggers() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local svc = logger:named("svc"):with({component = "api", n = 1})
                local db = svc:named("db"):with({n = 2})
                db:info("query", {sql = "select 1"})
                svc:info("plain")
                logger:info("root")
                return type(logger) .. "," .. tostring(pcall(logger.named, logger, ""))
            end
            """)
        #expect(result.value == "userdata,false")
        let query = harness.records.with(message: "query").first?.metadata ?? [:]
        #expect(query["logger"] == .string("svc.db"))
        #expect(query["component"] == .string("api"))
        #expect(query["n"] == .stringConvertible(Int64(2)))
        #expect(query["sql"] == .string("select 1"))
        let plain = harness.records.with(message: "plain").first?.metadata ?? [:]
        #expect(plain["logger"] == .string("svc"))
        #expect(plain["n"] == .stringConvertible(Int64(1)))
        #expect(harness.records.with(message: "root").first?.metadata["logger"] == nil)
    }

    @Test func misuseRaises() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                return {
                    pcall(logger.info, "x"), pcall(logger.info, logger), pcall(logger.info, logger, "m", 5),
                    pcall(logger.with, logger, "x"), (pcall(function() logger.level = 1 end)),
                }
            end
            """)
        #expect(result.value == .array([false, false, false, false, false]))
    }
}
