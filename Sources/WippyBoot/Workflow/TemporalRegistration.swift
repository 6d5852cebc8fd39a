public import WippyCore
import WippyResources

/// A workflow or activity registered with a `temporal.worker` through its entry's metadata, as Wippy apps
/// written for Temporal do:
///
/// ```yaml
/// - name: order_workflow
///   kind: workflow.lua
///   meta:
///     temporal:
///       workflow:
///         worker: app:worker        # required
///         name: order               # the workflow type name; default: the entry ID
/// - name: charge
///   kind: function.lua              # or process.lua
///   meta:
///     temporal:
///       activity:
///         worker: app:worker        # the activity type name is the entry ID
///         local: true               # parsed, ignored (a normal activity), as in Wippy
/// ```
public struct TemporalRegistration: Sendable, Equatable {
    public enum Role: String, Sendable, Equatable {
        case workflow
        case activity
    }

    /// The registered entry.
    public var entry: EntryID
    public var role: Role
    /// The `temporal.worker` entry that runs it.
    public var worker: EntryID
    /// The type name callers start it by: `meta.temporal.workflow.name`, else the entry ID (activities:
    /// always the entry ID).
    public var typeName: String
    /// `meta.temporal.activity.local` (accepted, no effect).
    public var local: Bool

    public init(entry: EntryID, role: Role, worker: EntryID, typeName: String, local: Bool = false) {
        self.entry = entry
        self.role = role
        self.worker = worker
        self.typeName = typeName
        self.local = local
    }

    public static let workflowKinds: Set<String> = ["workflow.lua", "workflow.lua.bc"]
    public static let activityKinds: Set<String> = ["function.lua", "function.lua.bc", "process.lua", "process.lua.bc"]

    /// The registration `entry`'s metadata declares; nil when it has no `meta.temporal`.
    ///
    /// - Throws: `Invalid` naming the field (`meta.temporal.workflow.worker`): a missing or empty worker,
    ///   a wrong type, an unknown field, a workflow registration on an entry that is not a workflow (or an
    ///   activity registration on one that is not a function or process), or both on one entry.
    public static func of(_ entry: Entry) throws(WippyError) -> TemporalRegistration? {
        guard let temporal = entry.meta["temporal"], !temporal.isNull else { return nil }
        let environment = EnvironmentLookup.process
        let fields = try ConfigFields(temporal, path: "meta.temporal", allowed: ["workflow", "activity"], environment: environment)
        let workflow = fields.value("workflow")
        let activity = fields.value("activity")
        if workflow != nil && activity != nil {
            throw WippyError.invalid("an entry registers either 'meta.temporal.workflow' or 'meta.temporal.activity', not both")
        }
        if workflow != nil {
            guard workflowKinds.contains(entry.kind) else {
                throw WippyError.invalid(
                    "'meta.temporal.workflow' registers a workflow, but this is a \(entry.kind) entry (use workflow.lua)")
            }
            let settings = try ConfigFields(
                workflow, path: "meta.temporal.workflow", allowed: ["worker", "name"], environment: environment)
            let worker = try requiredWorker(settings, entry)
            let name = try settings.string("name")
            if let name, name.isEmpty { throw settings.wrong("name", "a non-empty workflow type name", .string(name)) }
            return TemporalRegistration(
                entry: entry.id, role: .workflow, worker: worker, typeName: name ?? entry.id.description, local: false)
        }
        guard activity != nil else { return nil }
        guard activityKinds.contains(entry.kind) else {
            throw WippyError.invalid(
                "'meta.temporal.activity' registers an activity, but this is a \(entry.kind) entry (use function.lua or process.lua)")
        }
        let settings = try ConfigFields(
            activity, path: "meta.temporal.activity", allowed: ["worker", "local"], environment: environment)
        return TemporalRegistration(
            entry: entry.id, role: .activity, worker: try requiredWorker(settings, entry), typeName: entry.id.description,
            local: try settings.bool("local") ?? false)
    }

    private static func requiredWorker(_ settings: ConfigFields, _ entry: Entry) throws(WippyError) -> EntryID {
        guard let worker = try settings.entryID("worker", in: entry.id.namespace) else {
            throw settings.missing("worker", "the temporal.worker entry that runs it")
        }
        return worker
    }
}
