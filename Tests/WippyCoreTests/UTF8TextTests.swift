import Testing
import WippyCore

/// `UTF8Text` must agree with the standard library's validation on every input.
struct UTF8TextTests {
    private func agrees(_ bytes: [UInt8]) -> Bool {
        let expected = String(validating: bytes, as: UTF8.self)
        let actual = bytes.withUnsafeBytes { UTF8Text.string($0) }
        return expected == actual && bytes.withUnsafeBytes { UTF8Text.isValid($0) } == (expected != nil)
    }

    @Test func edgeCasesOfTheWellFormednessTable() {
        let cases: [[UInt8]] = [
            [], Array("plain ascii, longer than one word".utf8), Array("héllo wörld ✓ 𝄞".utf8),
            [0x7F], [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xDF, 0xBF], [0xDF],
            [0xE0, 0x9F, 0x80], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF],
            [0xEE, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xF1, 0x80, 0x80, 0x41],
            Array("12345678".utf8) + [0xC3], Array("1234567".utf8) + [0xC3, 0xA9] + Array("abcdefgh".utf8),
        ]
        for bytes in cases {
            #expect(agrees(bytes), "bytes \(bytes)")
        }
    }

    @Test func randomBytesAgreeWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        // Mostly text-like bytes with lead and continuation bytes mixed in, so both answers are common.
        let alphabet: [UInt8] = Array(0x20...0x7E) + [0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC2, 0xC3, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var valid = 0
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...24, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            #expect(agrees(bytes), "bytes \(bytes)")
            if String(validating: bytes, as: UTF8.self) != nil { valid += 1 }
        }
        // Both outcomes were exercised.
        #expect(valid > 100 && valid < 19_900)
    }
}
