/// The record of one workflow run, without its journal: what started it, the code it is pinned to, and
/// where it stands.
public struct WorkflowRecord: Sendable, Equatable {
    public var run: WorkflowRunID
    /// The workflow entry whose code the run executes.
    public var entry: EntryID
    /// The kind of that entry (`workflow.lua`, or a Temporal-compatible registration).
    public var entryKind: String
    /// The registry version the run is pinned to: replays use the code of this version.
    public var registryVersion: UInt64
    /// The start arguments, encoded by the engine.
    public var input: [UInt8]
    public var status: WorkflowStatus
    /// The result (or error) once the run has ended, encoded by the engine.
    public var result: [UInt8]?
    /// The workflow host that runs it (its entry ID): hosts sharing a store each take their own runs.
    /// Empty when the store does not keep it (records read from a SQLite store: the engine reads the host
    /// from `input` there).
    public var host: String

    public init(
        run: WorkflowRunID,
        entry: EntryID,
        entryKind: String,
        registryVersion: UInt64,
        input: [UInt8],
        status: WorkflowStatus = .running,
        result: [UInt8]? = nil,
        host: String = ""
    ) {
        self.run = run
        self.entry = entry
        self.entryKind = entryKind
        self.registryVersion = registryVersion
        self.input = input
        self.status = status
        self.result = result
        self.host = host
    }
}
