import NIOCore
import PostgresNIO

/// A statement this session prepared through postgres-nio's future-based API (`PostgresDatabase.prepare`),
/// with the parameter types the server inferred for it.
///
/// Why this API for named runs: each run is Bind and Execute only, with rows handed to a callback on the
/// event loop. postgres-nio's other prepared-statement API (`execute(_:)` with a `PostgresPreparedStatement`)
/// yields rows through an async sequence, whose task, producer, cancellation handlers and unspecialised
/// generics cost the client about a third more instructions per point select.
///
/// Two things of this API shape how it is used:
/// - Its binds are always sent in binary, so each argument is written in the binary form of the type the
///   server inferred for its parameter (``binds(_:)``); a value that has no exact binary form for that type
///   (a text for an integer parameter) makes that run go unnamed, as untyped text the server reads itself.
/// - Its rows keep the formats of the statement's description (text), while Bind asks for binary results:
///   cells are read as binary (``PostgresSQLValues/RowsBuilder/append(_:binary:)``).
struct PostgresPreparedQuery: Sendable {
    let query: PreparedQuery
    let parameterTypes: [PostgresDataType]

    /// The parameter types this class of run can bind: integers, doubles, booleans and texts. A statement
    /// with another (a timestamp, a numeric) runs through ``PostgresNamedStatement`` instead.
    static func canBind(_ type: PostgresDataType) -> Bool {
        switch type {
        case .int2, .int4, .int8, .float8, .bool, .text, .varchar, .bpchar: true
        default: false
        }
    }

    /// The arguments as binary values of the parameters' types; nil when one has no exact binary form
    /// (its run goes unnamed) or their count differs (the server reports that unnamed too).
    func binds(_ arguments: [SQLValue]) -> [PostgresData]? {
        guard arguments.count == parameterTypes.count else { return nil }
        var binds: [PostgresData] = []
        binds.reserveCapacity(arguments.count)
        for (argument, type) in zip(arguments, parameterTypes) {
            guard let data = Self.bind(argument, as: type) else { return nil }
            binds.append(data)
        }
        return binds
    }

    static func bind(_ argument: SQLValue, as type: PostgresDataType) -> PostgresData? {
        if case .null = argument { return PostgresData(type: type, value: nil) }
        switch type {
        case .int2:
            guard case .integer(let number) = argument, let exact = Int16(exactly: number) else { return nil }
            return PostgresData(type: type, value: ByteBuffer(integer: exact))
        case .int4:
            guard case .integer(let number) = argument, let exact = Int32(exactly: number) else { return nil }
            return PostgresData(type: type, value: ByteBuffer(integer: exact))
        case .int8:
            guard case .integer(let number) = argument else { return nil }
            return PostgresData(type: type, value: ByteBuffer(integer: number))
        case .float8:
            let value: Double
            switch argument {
            case .real(let number): value = number
            // The text of a larger integer would be rounded by the server's parse: leave that to it.
            case .integer(let number) where number.magnitude <= 1 << 53: value = Double(number)
            default: return nil
            }
            return PostgresData(type: type, value: ByteBuffer(integer: value.bitPattern))
        case .bool:
            guard case .bool(let flag) = argument else { return nil }
            return PostgresData(type: type, value: ByteBuffer(integer: UInt8(flag ? 1 : 0)))
        case .text, .varchar, .bpchar:
            // The same text an unnamed run would send; a NUL is left to the server's own error.
            let text: String
            switch argument {
            case .text(let value): text = value
            case .integer(let number): text = String(number)
            case .real(let number): text = PostgresSQLValues.text(number)
            case .bool(let flag): text = flag ? "true" : "false"
            default: return nil
            }
            guard !text.utf8.contains(0) else { return nil }
            return PostgresData(type: type, value: ByteBuffer(string: text))
        default:
            return nil
        }
    }

    /// The server's inferred parameter types of the newest protocol-level statement prepared from `sql` on
    /// this connection (the one just prepared), as `{23,25}`.
    static let parameterTypesQuery =
        "SELECT parameter_types::oid[]::text AS types FROM pg_prepared_statements WHERE statement = $1 AND NOT from_sql ORDER BY prepare_time DESC LIMIT 1"

    /// `{23,25}` as types; nil for anything else.
    static func parameterTypes(_ text: String) -> [PostgresDataType]? {
        guard text.hasPrefix("{"), text.hasSuffix("}") else { return nil }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var types: [PostgresDataType] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard let oid = UInt32(part) else { return nil }
            types.append(PostgresDataType(oid))
        }
        return types
    }
}
