import WippyCore

/// The `"namespace:name"` target of `funcs.call`/`funcs.async`, validated with Wippy's messages.
enum FunctionTarget {
    /// Parses `text` as a function entry ID.
    ///
    /// - Returns: the ID, or an `Invalid` error: `function ID required` (empty), `namespace required in function
    ///   ID` (no `:` or nothing before it), `name required in function ID` (nothing after it).
    static func parse(_ text: String) -> Result<EntryID, WippyError> {
        if text.isEmpty { return .failure(.invalid("function ID required")) }
        guard text.utf8.contains(UInt8(ascii: ":")) else { return .failure(.invalid("namespace required in function ID")) }
        let id = EntryID(parsing: text)
        if id.namespace.isEmpty { return .failure(.invalid("namespace required in function ID")) }
        if id.name.isEmpty { return .failure(.invalid("name required in function ID")) }
        return .success(id)
    }
}
