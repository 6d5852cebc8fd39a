import Testing
import WippyCore

@Suite struct PIDTests {
    static let samples: [PID] = [
        PID(host: "app:processes", uniq: 1), PID(host: "app:processes", uniq: 0xabcde),
        PID(host: "h", uniq: 0x1_00000), PID(node: "node-1", host: "app:terminal", uniq: 42),
        PID(host: "app:double#lua.7", uniq: UInt64.max),
    ]

    @Test(arguments: samples)
    func fastFormattingMatchesDescription(_ pid: PID) {
        var buffer = [UInt8](repeating: 0, count: pid.maximumTextLength)
        let length = buffer.withUnsafeMutableBytes { pid.write(into: $0) }
        #expect(String(decoding: buffer[0..<length], as: UTF8.self) == pid.description)
    }

    @Test(arguments: samples)
    func textParsesBackToTheSamePID(_ pid: PID) {
        #expect(PID(parsing: pid.description) == pid)
        let text = Array(pid.description.utf8)
        let parts = text.withUnsafeBytes { PID.parts(of: $0) }
        #expect(parts?.uniq == pid.uniq)
        let matches = text.withUnsafeBytes { bytes in parts.map { pid.matches(bytes, $0) } ?? false }
        #expect(matches)
    }

    @Test func descriptionsPadToFiveDigits() {
        #expect(PID(host: "app:processes", uniq: 3).description == "{app:processes|0x00003}")
        #expect(PID(node: "n", host: "h", uniq: 0x100000).description == "{n@h|0x100000}")
    }

    @Test(arguments: ["", "{}", "{|}", "{h|zz}", "app:x", "{h|0x1", "h|0x1}"])
    func malformedTextIsRejected(_ text: String) {
        #expect(PID(parsing: text) == nil)
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { PID.parts(of: $0) } == nil)
    }
}
