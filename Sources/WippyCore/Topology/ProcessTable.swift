import Synchronization

/// Every live process of the node, by PID counter, in lock-striped shards.
final class ProcessTable: Sendable {
    private final class Shard: Sendable {
        let cells = Mutex(CellMap())
    }

    private static let shardCount = 16
    private let shards: [Shard] = (0..<ProcessTable.shardCount).map { _ in Shard() }

    @inline(__always)
    private func shard(_ uniq: UInt64) -> Shard { shards[Int(uniq % UInt64(ProcessTable.shardCount))] }

    func insert(_ cell: ProcessCell) {
        shard(cell.pid.uniq).cells.withLock { $0.insert(cell, for: cell.pid.uniq) }
    }

    func remove(_ pid: PID) {
        shard(pid.uniq).cells.withLock { $0.remove(pid.uniq) }
    }

    func cell(uniq: UInt64) -> ProcessCell? {
        shard(uniq).cells.withLock { $0[uniq] }
    }

    func cell(for pid: PID) -> ProcessCell? {
        guard let cell = shard(pid.uniq).cells.withLock({ $0[pid.uniq] }) else { return nil }
        return cell.pid == pid ? cell : nil
    }

    /// A snapshot of all cells matching `predicate`.
    func cells(where predicate: (ProcessCell) -> Bool) -> [ProcessCell] {
        var result: [ProcessCell] = []
        for shard in shards {
            shard.cells.withLock { cells in
                cells.forEach { cell in if predicate(cell) { result.append(cell) } }
            }
        }
        return result
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.cells.withLock { $0.count } } }
}
