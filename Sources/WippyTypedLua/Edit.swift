/// One change to the source, recorded by the parser and applied by ``Emitter``.
///
/// Edits never overlap: removed type text is parsed with recording switched off, so nothing inside it
/// produces edits of its own.
struct Edit: Sendable {
    enum Action: Sendable {
        /// Rule T1: replace the range with spaces, keeping every line break byte. `prefix` is written first
        /// (`)` for T4, `;` for T2/T3); `absorb` more spaces are dropped to make up for an inserted `(`.
        case blank(prefix: [UInt8], absorb: Int)
        /// Insert bytes at `start` (`start == end`): the `(` of rule T4.
        case insert([UInt8])
        /// Replace the range with new bytes followed by `padding` spaces: a re-encoded string (T5).
        case replace([UInt8], padding: Int)
    }

    var start: Int
    var end: Int
    var action: Action
    /// Recording order, to keep the sort stable.
    var sequence: Int = 0
}
