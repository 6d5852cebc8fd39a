import Testing
import WippyCore

/// Sizes for `wippy run -m` and GOMEMLIMIT.
@Suite struct MemorySizeTests {
    @Test func suffixesAndPlainBytes() {
        #expect(MemorySize.parse("1G") == 1 << 30)
        #expect(MemorySize.parse("512M") == 512 << 20)
        #expect(MemorySize.parse("2048MB") == 2048 << 20)
        #expect(MemorySize.parse("1GiB") == 1 << 30)
        #expect(MemorySize.parse("64k") == 64 << 10)
        #expect(MemorySize.parse("2T") == 2 << 40)
        #expect(MemorySize.parse("12345") == 12345)
        #expect(MemorySize.parse(" 8M ") == 8 << 20)
        for bad in ["", "M", "-1G", "1.5G", "1X", "lots", "99999999999999999999", "9999999999T"] {
            #expect(MemorySize.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func flagWinsOverEnvironmentOverDefault() throws {
        #expect(try MemorySize.memoryLimit(flag: "1M", environment: "2M") == 1 << 20)
        #expect(try MemorySize.memoryLimit(flag: nil, environment: "2MiB") == 2 << 20)
        #expect(try MemorySize.memoryLimit(flag: nil, environment: nil) == 1 << 30)
        #expect(throws: (any Error).self) { try MemorySize.memoryLimit(flag: "x", environment: nil) }
    }
}
