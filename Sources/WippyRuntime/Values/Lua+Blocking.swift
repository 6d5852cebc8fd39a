public import WippyLua

extension Lua {
    /// When the running function cannot yield (it was called through a C boundary such as a `table.sort`
    /// comparator), raises the error Lua would and returns the status; otherwise nil. Blocking natives call
    /// this before registering any wait, so a refused block leaves nothing behind.
    public func refuseBlockingIfNeeded() -> Int32? {
        isYieldable ? nil : raise("attempt to yield across a C-call boundary")
    }
}
