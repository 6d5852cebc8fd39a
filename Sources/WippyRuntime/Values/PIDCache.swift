import WippyCore
import WippyLua
#if canImport(Glibc)
import Glibc
#endif

/// Per-worker caches that keep PID text off the message hot path.
///
/// - `strings`: the Lua string of a PID's text, by counter (direct-mapped), so a receiver does not format the
///   sender's PID for every message.
/// - `destinations`: the last cell reached through a given destination text, checked by comparing the bytes
///   and trusted only for cells of this worker, whose liveness can be read here.
struct PIDCache {
    private static let size = 4096

    private struct StringSlot {
        var uniq: UInt64 = 0
        var ref = LuaRef.none
    }

    private struct DestinationSlot {
        var cell: ProcessCell?
        var text: [UInt8] = []
    }

    private var strings = [StringSlot](repeating: StringSlot(), count: PIDCache.size)
    private var destinations = [DestinationSlot](repeating: DestinationSlot(), count: 64)

    /// Pushes the PID text of a live process (no copy of its PID unless the cache misses).
    @inline(__always)
    mutating func push(_ cell: ProcessCell, on target: Lua, main: Lua) {
        let uniq = cell.pid.uniq
        let slot = Int(uniq % UInt64(PIDCache.size))
        if strings[slot].uniq == uniq, strings[slot].ref.isValid {
            target.push(strings[slot].ref)
            return
        }
        push(cell.pid, on: target, main: main)
    }

    /// Pushes the text of `pid` on `target`, from the cache when possible.
    mutating func push(_ pid: PID, on target: Lua, main: Lua) {
        let slot = Int(pid.uniq % UInt64(PIDCache.size))
        if strings[slot].uniq == pid.uniq, strings[slot].ref.isValid {
            target.push(strings[slot].ref)
            return
        }
        target.push(pid: pid)
        target.pushValue(at: -1)
        let ref = target.ref()
        if strings[slot].ref.isValid { main.unref(strings[slot].ref) }
        strings[slot] = StringSlot(uniq: pid.uniq, ref: ref)
    }

    /// The cell for destination text, when a previous lookup cached a still-live cell of `worker`.
    mutating func cell(for text: UnsafeRawBufferPointer, worker: Worker) -> ProcessCell? {
        let slot = PIDCache.hash(text) % destinations.count
        guard let cell = destinations[slot].cell else { return nil }
        guard cell.worker === worker, !cell.isFinished, destinations[slot].text.count == text.count else { return nil }
        let same = destinations[slot].text.withUnsafeBytes { stored in
            memcmp(stored.baseAddress!, text.baseAddress!, text.count) == 0
        }
        return same ? cell : nil
    }

    mutating func remember(_ cell: ProcessCell, for text: UnsafeRawBufferPointer) {
        let slot = PIDCache.hash(text) % destinations.count
        destinations[slot] = DestinationSlot(cell: cell, text: Array(text))
    }

    private static func hash(_ text: UnsafeRawBufferPointer) -> Int {
        var value: UInt32 = 2_166_136_261
        let count = text.count
        // The counter digits at the end vary most; hash the last 8 bytes and the length.
        var index = max(0, count - 8)
        while index < count {
            value = (value ^ UInt32(text[index])) &* 16_777_619
            index += 1
        }
        return Int((value ^ UInt32(count)) >> 1)
    }
}
