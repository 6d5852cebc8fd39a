public import WippyCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The per-process memory limit of one host, shared by its workers. A process takes the limit in force when
/// it starts (a host update changes it for processes started afterwards).
public final class HostMemorySettings: Sendable {
    private let limit: Atomic<Int>

    /// `processLimit`: bytes per process, nil for none.
    public init(processLimit: Int?) { limit = Atomic(processLimit ?? 0) }

    /// Bytes a process of this host may hold (its Lua objects and its mailbox); nil when unlimited.
    public var processLimit: Int? {
        get {
            let value = limit.load(ordering: .relaxed)
            return value > 0 ? value : nil
        }
        set { limit.store(newValue ?? 0, ordering: .relaxed) }
    }

    /// The limit a host has when its configuration names none: a quarter of the machine's memory, at least
    /// 128 MiB and at most 1 GiB.
    ///
    /// Why: a runaway process (a table filled in a loop, a mailbox flooded while it sleeps) must die before it
    /// takes the machine, and normal processes, which hold kilobytes to tens of megabytes, must never meet
    /// the limit. 1 GiB is far above what a process of a normal application holds; on small machines a
    /// quarter of the memory leaves room for the rest of the runtime and for a few large processes at once.
    public static let defaultProcessLimit: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let physical = pages > 0 && pageSize > 0 ? Int(pages) * Int(pageSize) : 4 << 30
        return min(1 << 30, max(128 << 20, physical / 4))
    }()
}

/// Memory of one Lua process.
public struct ProcessMemoryUsage: Sendable, Equatable {
    public var pid: PID
    public var entry: EntryID
    /// Bytes the process holds: its Lua objects (live, or garbage not yet collected) and its mailbox.
    public var bytes: Int
    /// The estimated bytes of the messages and events waiting in its mailbox (part of ``bytes``).
    public var mailboxBytes: Int
    /// Its limit; nil when it has none.
    public var limit: Int?
}

/// Memory of one worker: its Lua state, which all its processes share, and the processes' accounts.
public struct WorkerMemoryUsage: Sendable, Equatable {
    public var worker: Int
    /// Bytes allocated in the worker's Lua state (processes, code, module tables, garbage not yet collected).
    public var luaBytes: Int
    /// Highest ``luaBytes`` so far.
    public var peakLuaBytes: Int
    /// Address space the state's small-object heap has mapped.
    public var heapMappedBytes: Int
    /// The Lua processes on the worker, and the sum of their ``ProcessMemoryUsage/bytes``.
    public var processCount: Int
    public var processBytes: Int
    /// Memory checks run, collections they made, processes killed for memory, since the worker started.
    public var checks: Int
    public var collections: Int
    public var kills: Int
    /// Each process, when asked for (see ``LuaRuntime/memoryReport(host:includingProcesses:completion:)``).
    public var processes: [ProcessMemoryUsage]
}

/// Memory of one host: its limit and its workers.
public struct HostMemoryReport: Sendable, Equatable {
    public var host: String
    public var processLimit: Int?
    public var workers: [WorkerMemoryUsage]

    public var luaBytes: Int { workers.reduce(0) { $0 + $1.luaBytes } }
    public var processBytes: Int { workers.reduce(0) { $0 + $1.processBytes } }
    public var processCount: Int { workers.reduce(0) { $0 + $1.processCount } }
    public var kills: Int { workers.reduce(0) { $0 + $1.kills } }
}

extension ProcessMemoryUsage {
    /// "64 MiB", "1.5 GiB", "512 KiB", "100 bytes" (for messages).
    public static func describe(bytes: Int) -> String {
        let units = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (size, name) in units where abs(bytes) >= size {
            let rounded = (Double(bytes) / Double(size) * 10).rounded() / 10
            return rounded == rounded.rounded() ? "\(Int(rounded)) \(name)" : "\(rounded) \(name)"
        }
        return "\(bytes) bytes"
    }
}
