import Testing
import WippyCodecs

@Suite struct HashingTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("The quick brown fox jumps over the lazy dog", "9e107d9d372bb6826bd81d3542a419d6"),
    ])
    func md5_knownVectors(input: String, digest: String) {
        #expect(Self.hex(MD5.hash(Array(input.utf8))) == digest)
    }

    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ("The quick brown fox jumps over the lazy dog", "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"),
    ])
    func sha1_knownVectors(input: String, digest: String) {
        #expect(Self.hex(SHA1.hash(Array(input.utf8))) == digest)
    }

    /// Lengths around the 56- and 64-byte padding boundaries; bytes are `i % 251`.
    @Test(arguments: [
        (55, "6912ee65fff2d9f9ce2508cddf8bcda0", "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"),
        (56, "51fdd1acda72405dfdfa03fcb85896d7", "636e2ec698dac903498e648bd2f3af641d3c88cb"),
        (63, "48a6295221902e8e0938f773a7185e72", "6d942da0c4392b123528f2905c713a3ce28364bd"),
        (64, "b2d3f56bc197fd985d5965079b5e7148", "c6138d514ffa2135bfce0ed0b8fac65669917ec7"),
        (65, "8bd7053801c768420faf816fadba971c", "69bd728ad6e13cd76ff19751fde427b00e395746"),
        (119, "1c772251899a7ff007400b888d6b2042", "41c89d06001bab4ab78736b44efe7ce18ce6ae08"),
        (120, "b7ba1efc6022e9ed272f00b8831e26e6", "d3dbd653bd8597b7475321b60a36891278e6a04a"),
        (128, "37eff01866ba3f538421b30b7cbefcac", "e6434bc401f98603d7eda504790c98c67385d535"),
    ])
    func blockBoundaries(length: Int, md5: String, sha1: String) {
        let bytes = (0..<length).map { UInt8($0 % 251) }
        #expect(Self.hex(MD5.hash(bytes)) == md5)
        #expect(Self.hex(SHA1.hash(bytes)) == sha1)
    }

    @Test func millionAs_andIncrementalUpdates() {
        var md5 = MD5()
        var sha1 = SHA1()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            md5.update(chunk)
            sha1.update(chunk)
        }
        #expect(Self.hex(md5.finalize()) == "7707d6ae4e027c70eea2a935c2296f21")
        #expect(Self.hex(sha1.finalize()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }
}
