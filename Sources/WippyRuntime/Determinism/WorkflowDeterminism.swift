public import WippyLua
import WippyCodecs

/// What makes one workflow run's Lua deterministic: its recorded seed, its clock, its random number generator
/// and the ids its `tostring` and `pairs` give objects.
///
/// The workflow session creates one per run (first run and every replay alike, from the seed recorded in the
/// journal) and hands it to the process before it starts (``LuaProcessStarter``'s `determinism`). In a process
/// with one attached:
/// - `pairs` and `next` iterate in a defined order and `tostring` prints per-run ids, not addresses
///   (`wippy_determinism.c`);
/// - `math.random`/`math.randomseed` draw from ``random``; `os.time()`/`os.date()` without a time and
///   `time.now()` read ``now``; `os.clock()` is refused;
/// - `uuid.v1/v4/v7` take their randomness from ``random`` and their time from ``now``.
///
/// Created on any thread, then used only on the worker thread of the process it is attached to: the session
/// sets ``now`` there, before it resumes the process with the journal event that carries the time.
public final class WorkflowDeterminism: @unchecked Sendable {
    /// The run's recorded seed.
    public let seed: UInt64
    /// The workflow clock, in Unix nanoseconds: the time of the task being run (set by the session as it
    /// delivers journal events).
    public var now: Int64
    /// The run's generator (`math.random`, uuids). `math.randomseed` replaces it.
    public var random: Xoshiro256StarStar
    /// Object ids of the deterministic `tostring`/`pairs`/`next`.
    public let record = LuaRunRecord()
    /// `uuid.v1`/`v7` state of the run (last timestamps, clock sequence, node).
    var uuids = UUIDSequence()

    /// - Parameters:
    ///   - seed: the run's seed, recorded in its journal when the run started.
    ///   - now: the workflow clock at start, Unix nanoseconds.
    public init(seed: UInt64, now: Int64) {
        self.seed = seed
        self.now = now
        random = Xoshiro256StarStar(seed: seed)
    }

    /// The clock in whole Unix seconds (rounded down).
    public var nowSeconds: Int64 {
        let (quotient, remainder) = now.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? quotient - 1 : quotient
    }

    /// `count` bytes from the run's generator.
    public func randomBytes(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            var word = random.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// `uuid.v4()` of the run: 16 bytes from ``random``.
    public func uuidV4() -> String { UUIDSequence.v4(random: randomBytes(16)).description }

    /// `uuid.v1()` of the run: ``now``, and a clock sequence and node from ``random``.
    public func uuidV1() -> String { uuids.v1(unixNanoseconds: now, random: randomBytes).description }

    /// `uuid.v7()` of the run: ``now`` (increasing within the run), and bits from ``random``.
    public func uuidV7() -> String { uuids.v7(unixNanoseconds: now, random: randomBytes(16)).description }
}
