import Synchronization

/// Workflow PIDs: `{node@host|workflow-id}`, where the last part is a workflow id chosen by a caller or the
/// engine rather than a counter (durable-cluster-ai §1.7). A ``PID`` keeps its fixed size: a workflow id is
/// interned here and the PID's `uniq` is its index with the top bit set, which no counter reaches. The text
/// of such a PID prints the id, and PID text naming a registered workflow host parses back to the same PID.
///
/// Ids are interned for the life of the process (a few dozen bytes each).
public enum WorkflowIdentity {
    /// The bit of `uniq` that marks a workflow PID.
    public static let bit: UInt64 = 1 << 63

    private struct Table {
        var ids: [String] = []
        var indexes: [String: UInt64] = [:]
        var hosts: Set<String> = []
    }

    private static let table = Mutex(Table())
    /// How many workflow hosts are registered: while none is, PID parsing and spawns skip the table (its
    /// lock and a string hash) with one atomic load.
    private static let hostCount = Atomic<Int>(0)

    /// The `uniq` of workflow id `id` (interned on first use).
    public static func uniq(for id: String) -> UInt64 {
        table.withLock { table in
            if let index = table.indexes[id] { return index | bit }
            let index = UInt64(table.ids.count)
            table.ids.append(id)
            table.indexes[id] = index
            return index | bit
        }
    }

    /// The workflow id of a workflow PID's `uniq`; nil for an ordinary PID.
    public static func id(of uniq: UInt64) -> String? {
        guard uniq & bit != 0 else { return nil }
        return table.withLock { table in
            let index = Int(truncatingIfNeeded: uniq & ~bit)
            return index < table.ids.count ? table.ids[index] : nil
        }
    }

    /// Declares `host` a workflow host: PID text naming it parses as a workflow PID.
    public static func register(host: String) {
        table.withLock { table in
            if table.hosts.insert(host).inserted { hostCount.add(1, ordering: .releasing) }
        }
    }

    public static func unregister(host: String) {
        table.withLock { table in
            if table.hosts.remove(host) != nil { hostCount.subtract(1, ordering: .releasing) }
        }
    }

    public static func isWorkflowHost(_ host: String) -> Bool {
        guard hostCount.load(ordering: .acquiring) > 0 else { return false }
        return table.withLock { $0.hosts.contains(host) }
    }
}

extension PID {
    /// The PID of workflow `id` on `host` of `node`.
    public static func workflow(node: String, host: String, id: String) -> PID {
        PID(node: node, host: host, uniq: WorkflowIdentity.uniq(for: id))
    }

    /// The workflow id of a workflow PID; nil for a process PID.
    public var workflowID: String? { uniq & WorkflowIdentity.bit == 0 ? nil : WorkflowIdentity.id(of: uniq) }

    /// True for the PID of a workflow (a `uniq` with the workflow bit that names an interned id).
    public var isWorkflow: Bool { uniq & WorkflowIdentity.bit != 0 && workflowID != nil }
}
