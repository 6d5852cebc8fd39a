public import WippyRuntime

/// The userdata tags of every module type in this target, in one place so they stay distinct.
///
/// A tag is the first word of a userdata's memory; natives check it before reading the rest
/// (``WippyLua/Lua/taggedUserdata(at:_:)``), so a value of one type can never be taken for another.
public enum ModuleTags {
    /// `time` Duration: an `Int64` of nanoseconds.
    public static let duration = UserdataTag.module(1)
    /// `time` Time: Unix seconds and nanoseconds; user value 1 is its Location.
    public static let time = UserdataTag.module(2)
    /// `time` Location: a `GoLocation` stored in place (released by `__gc`).
    public static let location = UserdataTag.module(3)
    /// `time.timer` object: a retained `TimerHandle`; user value 1 is its channel.
    public static let timer = UserdataTag.module(4)
    /// `time.ticker` object: a retained `TimerHandle`; user value 1 is its channel.
    public static let ticker = UserdataTag.module(5)
    /// `funcs` Future: a retained `FutureState`; user value 1 is its channel.
    public static let future = UserdataTag.module(6)
    /// `funcs` Executor: user values 1 (context table) and 2 (options table).
    public static let executor = UserdataTag.module(7)
    /// `logger`: user values 1 (fields table) and 2 (name).
    public static let logger = UserdataTag.module(8)
    /// `registry` Snapshot: a retained `SnapshotBox`.
    public static let registrySnapshot = UserdataTag.module(40)
    /// `registry` Changes: a retained `ChangeList`.
    public static let registryChanges = UserdataTag.module(41)
    /// `registry` Version: a `UInt64` version number.
    public static let registryVersion = UserdataTag.module(42)
    /// `registry` History: no memory (it reads the runtime's registry).
    public static let registryHistory = UserdataTag.module(43)
    /// `sql` DB handle: a retained `SQLDatabaseHandle`.
    public static let sqlDatabase = UserdataTag.module(70)
    /// `sql` Transaction: a retained `SQLTransactionHandle`.
    public static let sqlTransaction = UserdataTag.module(71)
    /// `sql` Statement: a retained `SQLStatementHandle`.
    public static let sqlStatement = UserdataTag.module(72)
    /// `sql.NULL` and `sql.as.*` typed values: a retained `SQLTypedValue`.
    public static let sqlValue = UserdataTag.module(73)
    /// `events` Subscription: the subscription ID (`UInt64`); user value 1 is its channel.
    public static let eventSubscription = UserdataTag.module(16)
    /// `http` Request: a retained `HTTPRequestHandle`.
    public static let httpRequest = UserdataTag.module(100)
    /// `http` Response: a retained `HTTPExchange`.
    public static let httpResponse = UserdataTag.module(101)
    /// `http` request body Stream (`req:stream()`): a retained `RequestBodyStream`.
    public static let httpRequestStream = UserdataTag.module(110)
    /// `http` MultipartFile: a retained `MultipartFileHandle`.
    public static let httpMultipartFile = UserdataTag.module(111)
    /// `fs` FS (volume): a retained `FSVolume`.
    public static let fsVolume = UserdataTag.module(90)
    /// `fs` File: a retained `FSFileHandle`.
    public static let fsFile = UserdataTag.module(91)
    /// `fs` Scanner: a retained `FSScannerState`.
    public static let fsScanner = UserdataTag.module(92)
    /// `exec` Executor: a retained `ExecExecutorHandle`.
    public static let execExecutor = UserdataTag.module(93)
    /// `exec` Process: a retained `ExecProcessHandle`.
    public static let execProcess = UserdataTag.module(94)
    /// `exec` stdout/stderr Stream: a retained `ExecStreamHandle`.
    public static let execStream = UserdataTag.module(95)
    /// `http_client` response Stream (`stream = true`): a retained `OutboundBodyStream`.
    public static let httpClientStream = UserdataTag.module(96)
    /// `websocket` Client: a retained `WebSocketClientConnection`; user value 1 is its channel.
    public static let webSocketClient = UserdataTag.module(120)
    /// `sql.builder` select, insert, update and delete builders: a retained `SQLStatementBox`; user value 1
    /// is the references table of the values it binds.
    public static let sqlSelectBuilder = UserdataTag.module(80)
    public static let sqlInsertBuilder = UserdataTag.module(81)
    public static let sqlUpdateBuilder = UserdataTag.module(82)
    public static let sqlDeleteBuilder = UserdataTag.module(83)
    /// `sql.builder` condition (Sqlizer): a retained `SQLConditionBox`; user value 1 as for builders.
    public static let sqlCondition = UserdataTag.module(84)
    /// `sql.builder` placeholder format: one byte, the format's index.
    public static let sqlPlaceholderFormat = UserdataTag.module(85)
    /// `run_with` QueryExecutor: user values 1 (the DB or Tx handle), 2 (SQL text) and 3 (arguments array).
    public static let sqlQueryExecutor = UserdataTag.module(86)
    /// `store` Store: a retained `StoreHandle`.
    public static let store = UserdataTag.module(76)
    /// `queue` Message: a retained `ActiveDelivery`.
    public static let queueMessage = UserdataTag.module(77)
}
