/// Scratch memory for the text and blob values the journal writer binds: each value is copied here and
/// bound without a copy by SQLite (`SQLITE_STATIC`), instead of SQLite allocating, copying and freeing a
/// buffer for every bound value (about a tenth of the writer thread's instructions in the 1 000-workflow
/// benchmark, profiled with callgrind).
///
/// A pointer it hands out stays valid until ``reset()``: a value that does not fit opens a new chunk rather
/// than moving the earlier ones. The owner resets it once the statement that holds the pointers has run
/// (``SQLiteRawStatement/execute()``). One thread only.
final class SQLiteBindArena {
    private var chunks: [UnsafeMutableRawPointer] = []
    private var capacity: Int
    private var used = 0
    /// Bytes asked for since the last reset, so the next first chunk holds them all.
    private var asked = 0

    init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        chunks.append(.allocate(byteCount: capacity, alignment: 16))
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    /// Copies `bytes` (not empty) into the arena and returns where they now are.
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        let count = bytes.count
        asked += count
        if used + count > capacity {
            // A fresh chunk for this value (and what follows); earlier pointers stay where they are.
            capacity = max(capacity, count)
            chunks.append(.allocate(byteCount: capacity, alignment: 16))
            used = 0
        }
        let destination = chunks[chunks.count - 1] + used
        if let base = bytes.baseAddress { destination.copyMemory(from: base, byteCount: count) }
        used += count
        return UnsafeRawPointer(destination)
    }

    /// Forgets every value; the pointers handed out are invalid from now on. After an overflow, the
    /// extra chunks are freed and the first one is made large enough for the same values next time.
    func reset() {
        if chunks.count > 1 {
            for chunk in chunks { chunk.deallocate() }
            capacity = max(capacity, asked)
            chunks = [.allocate(byteCount: capacity, alignment: 16)]
        }
        used = 0
        asked = 0
    }

    /// How many chunks are open (tests).
    var chunkCount: Int { chunks.count }
}
