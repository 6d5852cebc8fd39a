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
    private var prefix: (node: String, host: String, ref: LuaRef) = ("", "", .none)

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

    /// For a message's sender: pushes the text of `pid` and returns true when this worker has it cached, or
    /// when `pid` missed here before (a sender seen twice is likely to send again: its text is made and
    /// cached now). On a first miss it pushes nothing and returns false: the message is labelled with
    /// ``pushPrefix(of:on:main:)`` and its counter, and the text is made only if the receiver asks for it
    /// (`msg:from()`, `wippy_message.c`). One-shot senders (a spawned child reporting once) then cost no
    /// formatting, no string and no reference.
    mutating func pushIfSeen(_ pid: PID, on target: Lua, main: Lua) -> Bool {
        let slot = Int(pid.uniq % UInt64(PIDCache.size))
        if strings[slot].uniq == pid.uniq {
            if strings[slot].ref.isValid {
                target.push(strings[slot].ref)
            } else {
                push(pid, on: target, main: main)
            }
            return true
        }
        if strings[slot].ref.isValid { main.unref(strings[slot].ref) }
        strings[slot] = StringSlot(uniq: pid.uniq, ref: .none)
        return false
    }

    /// ``pushIfSeen(_:on:main:)`` for a live process (no copy of its PID unless the cache misses); always true
    /// for a workflow's PID, whose text is not a counter.
    @inline(__always)
    mutating func pushIfSeen(_ cell: ProcessCell, on target: Lua, main: Lua) -> Bool {
        let uniq = cell.pid.uniq
        let slot = Int(uniq % UInt64(PIDCache.size))
        if strings[slot].uniq == uniq, strings[slot].ref.isValid {
            target.push(strings[slot].ref)
            return true
        }
        if uniq & WorkflowIdentity.bit != 0 {
            push(cell.pid, on: target, main: main)
            return true
        }
        return pushIfSeen(cell.pid, on: target, main: main)
    }

    /// Pushes the text of `pid` up to its counter (`{node@host|` or `{host|`): the same string for every
    /// PID of the last host asked for.
    /// ``pushPrefix(of:on:main:)`` for a live process's own PID, read in place (no copy of its strings when
    /// the prefix is cached).
    @inline(__always)
    mutating func pushPrefix(of cell: ProcessCell, on target: Lua, main: Lua) {
        if prefix.ref.isValid, cell.pid.host == prefix.host, cell.pid.node == prefix.node {
            target.push(prefix.ref)
            return
        }
        pushPrefix(of: cell.pid, on: target, main: main)
    }

    mutating func pushPrefix(of pid: PID, on target: Lua, main: Lua) {
        if prefix.ref.isValid, pid.host == prefix.host, pid.node == prefix.node {
            target.push(prefix.ref)
            return
        }
        target.push(pid.textPrefix)
        target.pushValue(at: -1)
        let ref = target.ref()
        if prefix.ref.isValid { main.unref(prefix.ref) }
        prefix = (pid.node, pid.host, ref)
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
