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
}
