/// Which modules a `workflow.lua` entry may list (spec durable-cluster-ai.md §1.4): only modules with an
/// allowed class, directly or through an imported library; `process` is always given, and `workflow` (the
/// workflow module) counts as a workflow-class module even before it is registered.
public enum WorkflowModulePolicy {
    public static let allowedClasses: Set<ModuleClass> = [.deterministic, .workflow]
    /// Modules allowed whatever is registered.
    public static let alwaysAllowed: Set<String> = ["process", "workflow"]

    /// Nil when a workflow may use `module`, whose classes are `classes` (nil: not registered); else why not.
    public static func refusal(of module: String, classes: Set<ModuleClass>?) -> String? {
        if alwaysAllowed.contains(module) { return nil }
        guard let classes else { return "it is not a known module" }
        if !classes.isDisjoint(with: allowedClasses) { return nil }
        let named = classes.isEmpty ? "no class" : "class " + classes.sorted().map(\.rawValue).joined(separator: ", ")
        return "it does not have any allowed class (it has \(named); a workflow may only use deterministic and workflow modules)"
    }
}
