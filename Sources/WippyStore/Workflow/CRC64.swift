/// CRC-64/XZ (the ECMA-182 polynomial, reflected; initial value and final XOR all ones; the check value of
/// "123456789" is 0x995DC9BBDF1939FA), table-driven, eight bytes per step ("slicing by 8").
///
/// Written here because none of the project's dependencies offers a fast, stable 64-bit checksum: Swift's
/// `Hasher` is seeded per process, and swift-crypto has only cryptographic digests, which cost ten times
/// more for the journal's small events.
enum CRC64 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var crc: UInt64 = ~0
        var index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { table in
            while index + 8 <= count {
                let word = crc ^ bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self).littleEndian
                crc = table[7 * 256 + Int(word & 0xFF)] ^ table[6 * 256 + Int(word >> 8 & 0xFF)]
                    ^ table[5 * 256 + Int(word >> 16 & 0xFF)] ^ table[4 * 256 + Int(word >> 24 & 0xFF)]
                    ^ table[3 * 256 + Int(word >> 32 & 0xFF)] ^ table[2 * 256 + Int(word >> 40 & 0xFF)]
                    ^ table[1 * 256 + Int(word >> 48 & 0xFF)] ^ table[Int(word >> 56)]
                index += 8
            }
            while index < count {
                crc = table[Int((crc ^ UInt64(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return ~crc
    }

    /// Table k (256 entries at offset 256·k) advances the CRC of a byte followed by k zero bytes.
    private static let tables: [UInt64] = {
        let polynomial: UInt64 = 0xC96C_5795_D787_0F42
        var tables = [UInt64](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt64(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[byte] = crc
        }
        for k in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(k - 1) * 256 + byte]
                tables[k * 256 + byte] = tables[Int(previous & 0xFF)] ^ (previous >> 8)
            }
        }
        return tables
    }()
}
