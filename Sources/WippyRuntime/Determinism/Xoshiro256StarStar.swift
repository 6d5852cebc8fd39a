/// The xoshiro256** generator (Blackman and Vigna): 256 bits of state, 64-bit outputs, fast and with no
/// weak low bits. A workflow run's randomness (`math.random`, `uuid`) comes from one, seeded from the run's
/// recorded seed, so a replay draws the same numbers in the same order.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose state is expanded from `seed` by SplitMix64 (never the all-zero state).
    public init(seed: UInt64) {
        self.init(seed: seed, seed)
    }

    /// A generator seeded from two 64-bit words (`math.randomseed(n1, n2)`).
    public init(seed first: UInt64, _ second: UInt64) {
        var mix = SplitMix64(state: first)
        s0 = mix.next()
        s1 = mix.next()
        mix = SplitMix64(state: second ^ 0x6A09_E667_F3BC_C908)
        s2 = mix.next()
        s3 = mix.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    public mutating func next() -> UInt64 {
        let result = rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotate(s3, 45)
        return result
    }

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}

/// SplitMix64 (Steele, Lea and Flood): expands one word into well-mixed seeds.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
