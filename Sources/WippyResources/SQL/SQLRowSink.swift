public import WippyCore

/// Receives the rows of an inline read while the database steps through them, so a front end can build its
/// own representation (the Lua module: tables) without an ``SQLRows`` in between: no array per row, no
/// `String` per text value.
///
/// Calls come in this order: ``begin(columns:)`` once, then for each row ``beginRow()``, one `add` per
/// column in order (NULLs included), ``endRow()``.
public protocol SQLRowSink {
    mutating func begin(columns: [String])
    mutating func beginRow()
    mutating func add(_ value: SQLValue, column: Int)
    /// A text value exactly as the database holds it: valid UTF-8, only valid during the call.
    mutating func add(text: UnsafeRawBufferPointer, column: Int)
    mutating func endRow()
}

/// How an inline read (``SQLDatabase/readIfImmediate(_:_:into:)``) ended.
public enum SQLInlineRead: Sendable {
    /// Every row went to the sink.
    case done
    case failed(WippyError)
    /// Nothing ran and the sink got nothing: the read must go through ``SQLDatabase/query(_:_:completion:)``
    /// (it could change data, it would wait for a lock, or no connection is idle).
    case mustWait
}

extension SQLInlineRead {
    /// The read as the completion paths report it: `rows` (what an ``SQLRowsBuilder`` collected) when it
    /// was done, nil when it must wait.
    func result(_ rows: @autoclosure () -> SQLRows) -> Result<SQLRows, WippyError>? {
        switch self {
        case .done: return .success(rows())
        case .failed(let error): return .failure(error)
        case .mustWait: return nil
        }
    }
}

/// A sink that collects ``SQLRows`` (the completion-based paths and ``SQLiteSQLDatabase/queryIfImmediate(_:_:)``).
public struct SQLRowsBuilder: SQLRowSink {
    public private(set) var rows = SQLRows(columns: [], rows: [])
    private var row: [SQLValue] = []

    public init() {}

    public mutating func begin(columns: [String]) { rows.columns = columns }

    public mutating func beginRow() {
        row = []
        row.reserveCapacity(rows.columns.count)
    }

    public mutating func add(_ value: SQLValue, column: Int) { row.append(value) }

    public mutating func add(text: UnsafeRawBufferPointer, column: Int) {
        row.append(.text(String(decoding: text, as: UTF8.self)))
    }

    public mutating func endRow() { rows.rows.append(row) }
}
