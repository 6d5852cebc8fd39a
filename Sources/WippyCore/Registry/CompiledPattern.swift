/// A compiled regular expression that filters share across threads.
///
/// `Regex` is not `Sendable` (its output type could hold anything), but a `Regex<AnyRegexOutput>` built from a
/// pattern string is immutable once compiled and only ever read by matching, so sharing one is safe.
struct CompiledPattern: @unchecked Sendable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws(WippyError) {
        self.pattern = pattern
        do {
            regex = try Regex(pattern)
        } catch {
            throw WippyError.invalid("invalid regex '\(pattern)': \(error)")
        }
    }

    /// Whether the pattern matches anywhere in `text`.
    func matches(_ text: String) -> Bool { text.contains(regex) }
}
