#if canImport(Glibc)
import Glibc
#endif

/// Checks of a SQLite file that SQLite itself does not make when it opens one: an empty file (SQLite takes
/// it for a new database) and a file shorter than its header says (SQLite reads it as a smaller database
/// until a query reaches a missing page).
public struct SQLiteFileCheck {
    let path: String

    /// Size of a file, or nil when it does not exist.
    public static func size(of path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Whether a file (of any kind) is at `path`.
    public static func exists(_ path: String) -> Bool { size(of: path) != nil }

    /// Set when the file exists but holds nothing, not even in its write-ahead log.
    func emptyFileProblem() -> String? {
        guard let size = SQLiteFileCheck.size(of: path), size == 0 else { return nil }
        if let log = SQLiteFileCheck.size(of: path + "-wal"), log > 0 { return nil }
        return "the file is empty (0 bytes), so whatever history it held is gone"
    }

    /// Set when the file is shorter than the page count its header records. Only meaningful once the
    /// write-ahead log was moved into the file (an empty or missing `-wal`), which is then checked.
    func truncationProblem() -> String? {
        if let log = SQLiteFileCheck.size(of: path + "-wal"), log > 0 { return nil }
        guard let size = SQLiteFileCheck.size(of: path), let header = readHeader() else { return nil }
        guard header.count == 100, Array(header[0..<16]) == Array("SQLite format 3\0".utf8) else {
            return size < 100 ? "the file is \(size) bytes long, shorter than a SQLite header" : nil
        }
        func number(_ offset: Int, _ count: Int) -> Int64 {
            header[offset..<offset + count].reduce(0) { $0 << 8 | Int64($1) }
        }
        let rawPageSize = number(16, 2)
        let pageSize = rawPageSize == 1 ? 65536 : rawPageSize
        let pages = number(28, 4)
        // The page count in the header is valid only when the change counter matches the "valid for" number.
        guard pages > 0, pageSize >= 512, number(24, 4) == number(92, 4) else { return nil }
        guard size < pages * pageSize else { return nil }
        return "the file is truncated: \(size) bytes, but its header records \(pages) pages of \(pageSize) bytes (\(pages * pageSize) bytes)"
    }

    private func readHeader() -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 100)
        let count = fread(&bytes, 1, 100, file)
        return Array(bytes[0..<count])
    }
}
