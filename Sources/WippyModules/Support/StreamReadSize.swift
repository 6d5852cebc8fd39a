import WippyLua

/// The `size` argument of a Stream's `read(size?)` (lua-api-core §15), shared by every Stream type: absent,
/// nil or not positive ⇒ 32 KiB; capped at 64 MiB; a non-integer raises.
enum StreamReadSize {
    static let standard = 32 * 1024
    static let maximum = 1 << 26

    static func argument(_ lua: Lua, at index: Int32) -> Result<Int, EarlyReturn> {
        guard !lua.isNil(at: index) else { return .success(standard) }
        switch lua.integerArgument(index) {
        case .success(let value): return .success(value <= 0 ? standard : Int(min(value, Int64(maximum))))
        case .failure(let early): return .failure(early)
        }
    }
}
