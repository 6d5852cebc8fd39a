import Foundation
import NIOCore
import PostgresNIO
import WippyCore

/// Arguments and result values between ``SQLValue`` and PostgreSQL's wire formats.
///
/// Arguments go as Go's lib/pq sends them: text with no declared type, so the server infers each one from
/// where it stands (`created_at > $1` takes a timestamp, `id = $1` an integer); bytes go as `bytea`.
/// Results come in binary and are read by type: integers, floats, booleans, bytes, texts; timestamps and
/// dates as RFC 3339 in UTC; anything else (NUMERIC, UUID, JSON, ...) as its text.
enum PostgresSQLValues {
    static func bindings(_ arguments: [SQLValue]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .integer(let number): bindings.append(UntypedText(String(number)))
            case .real(let number): bindings.append(UntypedText(text(number)))
            case .bool(let flag): bindings.append(UntypedText(flag ? "true" : "false"))
            case .text(let text): bindings.append(UntypedText(text))
            case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
            }
        }
        return bindings
    }

    /// A real as PostgreSQL reads it (`NaN`, `Infinity` and `-Infinity` by those names).
    static func text(_ number: Double) -> String {
        number.isFinite ? "\(number)" : (number.isNaN ? "NaN" : (number > 0 ? "Infinity" : "-Infinity"))
    }

    /// A text argument of no declared type (OID 0): the server infers its type.
    struct UntypedText: PostgresDynamicTypeEncodable {
        let text: String
        init(_ text: String) { self.text = text }
        var psqlType: PostgresDataType { PostgresDataType(0) }
        var psqlFormat: PostgresFormat { .text }
        func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
            byteBuffer.writeString(text)
        }
    }

    static func rows(_ result: PostgresQueryResult) -> SQLRows {
        var builder = RowsBuilder()
        builder.rows.rows.reserveCapacity(result.rows.count)
        for row in result.rows { builder.append(row) }
        return builder.rows
    }

    /// Rows as they arrive: the column names from the first one.
    struct RowsBuilder {
        var rows = SQLRows(columns: [], rows: [])

        /// `binary`: every cell is in binary whatever its column says (see ``PostgresPreparedQuery``).
        mutating func append(_ row: PostgresRow, binary: Bool = false) {
            if rows.rows.isEmpty {
                for cell in row { rows.columns.append(cell.columnName) }
            }
            var values: [SQLValue] = []
            values.reserveCapacity(rows.columns.count)
            for var cell in row {
                if binary { cell.format = .binary }
                values.append(PostgresSQLValues.value(cell))
            }
            rows.rows.append(values)
        }
    }

    /// Seconds from the Unix epoch to PostgreSQL's (2000-01-01).
    static let epoch: Int64 = 946_684_800

    static func value(_ cell: PostgresCell) -> SQLValue {
        guard var buffer = cell.bytes else { return .null }
        if cell.format == .text {
            let text = buffer.readString(length: buffer.readableBytes) ?? ""
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: return Int64(text).map { .integer($0) } ?? .text(text)
            case .float4, .float8: return Double(text).map { .real($0) } ?? .text(text)
            case .bool: return .bool(text == "t" || text == "true")
            case .timestamp, .timestamptz, .date: return .text(SQLTime.normalize(text) ?? text)
            default: return .text(text)
            }
        }
        switch cell.dataType {
        case .int2: return buffer.readInteger(as: Int16.self).map { .integer(Int64($0)) } ?? .null
        case .int4: return buffer.readInteger(as: Int32.self).map { .integer(Int64($0)) } ?? .null
        case .oid: return buffer.readInteger(as: UInt32.self).map { .integer(Int64($0)) } ?? .null
        case .int8: return buffer.readInteger(as: Int64.self).map { .integer($0) } ?? .null
        case .float4: return buffer.readInteger(as: UInt32.self).map { .real(Double(Float(bitPattern: $0))) } ?? .null
        case .float8: return buffer.readInteger(as: UInt64.self).map { .real(Double(bitPattern: $0)) } ?? .null
        case .bool: return buffer.readInteger(as: UInt8.self).map { .bool($0 != 0) } ?? .null
        case .bytea: return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .timestamp, .timestamptz:
            guard let micros = buffer.readInteger(as: Int64.self) else { return .null }
            if micros == Int64.max { return .text("infinity") }
            if micros == Int64.min { return .text("-infinity") }
            let (seconds, rest) = micros.quotientAndRemainder(dividingBy: 1_000_000)
            return .text(SQLTime.format(seconds: seconds + epoch, nanoseconds: rest * 1000))
        case .date:
            guard let days = buffer.readInteger(as: Int32.self) else { return .null }
            return .text(SQLTime.format(seconds: Int64(days) * 86_400 + epoch))
        case .numeric:
            if let decimal = try? cell.decode(Decimal.self) { return .text("\(decimal)") }
            return .text("")
        case .uuid:
            if let uuid = try? cell.decode(UUID.self) { return .text(uuid.uuidString.lowercased()) }
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        default:
            if let text = try? cell.decode(String.self) { return .text(text) }
            return .blob(buffer.readBytes(length: buffer.readableBytes) ?? [])
        }
    }

    /// The fields of an error the server sent (message, SQLSTATE, detail), from either of postgres-nio's
    /// error types (its future-based prepared queries report the legacy `PostgresError`).
    static func serverFields(_ error: any Error) -> (message: String?, state: String?, detail: String?)? {
        if let info = (error as? PSQLError)?.serverInfo { return (info[.message], info[.sqlState], info[.detail]) }
        if case .server(let info)? = error as? PostgresError {
            return (info.fields[.message], info.fields[.sqlState], info.fields[.detail])
        }
        return nil
    }

    /// Whether a named statement failed because the server no longer has it as it was prepared (26000: the
    /// name is unknown, e.g. after `DISCARD ALL`; 0A000: its result columns changed with the table), so
    /// the same SQL run unnamed may work.
    static func isStale(_ error: any Error) -> Bool {
        guard let state = serverFields(error)?.state else { return false }
        return state == "26000" || state == "0A000"
    }

    /// A driver error as a ``WippyError``: `<what>: <server message>`; a lost or refused connection is
    /// `Unavailable`, a constraint violation `Conflict`.
    static func failure(_ what: String, _ error: any Error) -> WippyError {
        if let error = error as? WippyError { return error }
        if let fields = serverFields(error) {
            let message = fields.message ?? "server error"
            let state = fields.state ?? ""
            let detail = fields.detail.map { " (\($0))" } ?? ""
            let kind: ErrorKind
            if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") {
                kind = .unavailable
            } else if state.hasPrefix("23") || state == "40001" || state == "40P01" {
                kind = .conflict
            } else if state == "28P01" || state == "28000" || state.hasPrefix("42501") {
                kind = .permissionDenied
            } else {
                kind = .internal
            }
            return WippyError("\(what): \(message)\(detail)", kind: kind, retryable: kind == .unavailable || state.hasPrefix("40"))
        }
        guard let error = error as? PSQLError else { return WippyError.unavailable("\(what): \(error)") }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return WippyError.unavailable("\(what): \(error.code)\(underlying)")
    }
}
