public import WippyCore
public import WippyLua

/// `workflow.attrs{search=, memo=}` and `workflow.expose(name, value)`: journaled `attrs` commands, folded
/// by ``WorkflowAttributes`` (what `wippy workflow show` prints).
extension WorkflowSession {
    /// Records `attributes` (`{search = {...}, memo = {...}, query = {...}}`). False when the code diverged
    /// (the caller must yield for good).
    public func recordAttributes(from lua: Lua, _ attributes: Payload) -> Bool {
        if case .blocked = issue(.attributes(attributes), from: lua, act: { _, _ in }) { return false }
        return true
    }
}
