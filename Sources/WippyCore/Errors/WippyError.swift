/// The classification of a ``WippyError``: one of Wippy's CamelCase kind strings.
public struct ErrorKind: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let unknown = ErrorKind("")
    public static let invalid = ErrorKind("Invalid")
    public static let notFound = ErrorKind("NotFound")
    public static let alreadyExists = ErrorKind("AlreadyExists")
    public static let permissionDenied = ErrorKind("PermissionDenied")
    public static let unavailable = ErrorKind("Unavailable")
    public static let `internal` = ErrorKind("Internal")
    public static let canceled = ErrorKind("Canceled")
    public static let conflict = ErrorKind("Conflict")
    public static let timeout = ErrorKind("Timeout")
    public static let rateLimited = ErrorKind("RateLimited")

    /// Every named kind, in the order of `errors.*` constants.
    public static let all: [(name: String, kind: ErrorKind)] = [
        ("UNKNOWN", .unknown), ("INVALID", .invalid), ("NOT_FOUND", .notFound),
        ("ALREADY_EXISTS", .alreadyExists), ("PERMISSION_DENIED", .permissionDenied),
        ("UNAVAILABLE", .unavailable), ("INTERNAL", .internal), ("CANCELED", .canceled),
        ("CONFLICT", .conflict), ("TIMEOUT", .timeout), ("RATE_LIMITED", .rateLimited),
    ]
}

/// A structured error as Wippy code sees it: message, kind, retryable (true, false or unknown) and details.
///
/// It survives function calls, process exits and messages unchanged. Lua sees it as an error object with
/// `:message()`, `:kind()`, `:retryable()`, `:details()`.
public struct WippyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var kind: ErrorKind
    public var retryable: Bool?
    public var details: Payload?
    /// Context added by `errors.wrap`, outermost last; not part of the message.
    public var context: [String]

    public init(
        _ message: String,
        kind: ErrorKind = .unknown,
        retryable: Bool? = nil,
        details: Payload? = nil,
        context: [String] = []
    ) {
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.details = details
        self.context = context
    }

    public var description: String { message }

    public static func invalid(_ message: String) -> WippyError { WippyError(message, kind: .invalid, retryable: false) }
    public static func notFound(_ message: String) -> WippyError { WippyError(message, kind: .notFound, retryable: false) }
    public static func `internal`(_ message: String) -> WippyError { WippyError(message, kind: .internal) }
    public static func alreadyExists(_ message: String) -> WippyError {
        WippyError(message, kind: .alreadyExists, retryable: false)
    }
    public static func unavailable(_ message: String) -> WippyError { WippyError(message, kind: .unavailable) }
    public static func canceled(_ message: String) -> WippyError { WippyError(message, kind: .canceled, retryable: false) }
    public static func timeout(_ message: String) -> WippyError { WippyError(message, kind: .timeout, retryable: true) }
}
