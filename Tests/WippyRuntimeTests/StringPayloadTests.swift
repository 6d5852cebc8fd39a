import Testing
import WippyCore
import WippyLua
import WippyRuntime

/// Strings leaving Lua: ASCII and UTF-8 text become `.string`, anything else keeps its bytes.
@Suite struct StringPayloadTests {
    static let cases: [[UInt8]] = [
        [],
        Array("a".utf8),
        Array("{app:processes|0x1f}".utf8),  // 20 bytes: two 8-byte words and a tail
        Array("exactly8".utf8),
        Array("sixteen-bytes-ok".utf8),
        Array("héllo wörld, ünïcode".utf8),
        Array("ascii then é".utf8),
        [0x61, 0x62, 0xFF, 0x63],
        [0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0xC3],  // truncated sequence after a full word
    ]

    @Test(arguments: cases)
    func payloadKeepsTextAndBytes(_ bytes: [UInt8]) {
        let state = LuaState(standardLibraries: false)
        let lua = state.main
        bytes.withUnsafeBytes { lua.push(bytes: $0) }
        let payload = LuaValueConverter.payload(at: -1, in: lua, state: nil)
        if let text = String(validating: bytes, as: UTF8.self) {
            #expect(payload == .string(text))
        } else {
            #expect(payload == .bytes(bytes))
        }
    }
}
