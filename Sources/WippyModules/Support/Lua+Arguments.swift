import WippyLua

/// A native's early exit: the status it must return right away, after raising (``WippyLua/Lua/raise(_:)`` and
/// friends) or after pushing `nil, err`. Carried as an error so argument readers can return `Result`s.
struct EarlyReturn: Error {
    let status: Int32
}

extension Lua {
    /// The integer argument at `index`, or the early return after raising: a type error for a non-number,
    /// "number has no integer representation" for a float with a fraction.
    func integerArgument(_ index: Int32) -> Result<Int64, EarlyReturn> {
        guard type(at: index) == .number else { return .failure(EarlyReturn(status: typeError(index, expected: "number"))) }
        guard let value = integer(at: index) else {
            return .failure(EarlyReturn(status: argumentError(index, "number has no integer representation")))
        }
        return .success(value)
    }
}
