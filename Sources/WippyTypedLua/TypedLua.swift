/// The typed-Lua front end: checks Wippy's typed Lua dialect and translates it to plain Lua 5.4.
///
/// The translation keeps every line where it was (rules T1–T6 of the spec): type annotations, casts and
/// `!` are blanked with spaces, `type` and `interface` declarations become `;`, a cast of a call or `...`
/// is parenthesised to keep it one value, and string escapes Lua 5.4 reads differently are re-encoded.
/// Runtime errors therefore report the same line numbers as the original source.
///
/// ```swift
/// let lua = try TypedLua.translate("local n: integer = 1", chunkName: "main.lua")
/// // "local n          = 1"
/// ```
public enum TypedLua {
    /// Translates dialect source to Lua 5.4 with the same number of lines.
    ///
    /// Columns stay the same too, except where rules T3/T4 insert `;` or parentheses, where T5 drops a
    /// backslash inside a string, and where ``translateModule(_:chunkName:bindsProcess:)`` rewrites a receive. The whole chunk is checked first, so ordinary Lua syntax errors and
    /// constructs Wippy rejects (`<const>`, `!=`, `+=`, `continue`, statements after `break`, hex floats,
    /// ...) are reported here. When nothing needs to change the input array is returned as it is.
    ///
    /// - Parameters:
    ///   - source: the chunk's bytes (need not be valid UTF-8).
    ///   - chunkName: the name used in error descriptions, usually a file path.
    /// - Returns: Lua 5.4 source.
    /// - Throws: ``TypedLuaSyntaxError`` for the first syntax error.
    public static func translate(_ source: [UInt8], chunkName: String) throws(TypedLuaSyntaxError) -> [UInt8] {
        try translateModule(source, chunkName: chunkName).code
    }

    /// A translated chunk and what the translator could prove about it.
    public struct Module: Sendable {
        /// Lua 5.4 source, as ``TypedLua/translate(_:chunkName:)-([UInt8],_)`` returns it.
        public let code: [UInt8]
        /// Why the chunk may hold per-process state; nil when it provably holds none: it makes no calls when
        /// it loads (but `require("name")`), and its functions write no global, no chunk-level local and no
        /// table the chunk made (see `StateAnalysis`). One instance of such a chunk can serve any number of
        /// processes.
        public let stateReason: String?

        public var holdsNoProcessState: Bool { stateReason == nil }
        /// The chunk uses the global `process` only to read its fields (`process.send(...)`), never as a
        /// value, never assigns it or a field of it, and names neither its `...` at chunk level nor `_ENV`
        /// or `_G` (see `ProcessFieldUse`): the runtime may bind `process` to a local of the chunk.
        public let readsProcessFieldsOnly: Bool
        /// Some `inbox:receive()` on a local that surely holds the process's inbox became
        /// `__wippy_receive(inbox)`, or some statement `process.spawn(...)` became `__wippy_spawn(...)` (see
        /// `ProcessFieldUse`): the runtime must bind the chunk locals `__wippy_receive`, `__wippy_topic`,
        /// `__wippy_from` and `__wippy_spawn`. Only with ``readsProcessFieldsOnly``.
        public let bindsReceive: Bool
    }

    /// Translates like ``translate(_:chunkName:)-([UInt8],_)`` and tells whether the chunk can hold
    /// per-process state.
    ///
    /// `bindsProcess`: the runtime will bind `process` to a local when the chunk only reads its fields (see
    /// ``Module/readsProcessFieldsOnly``); only then may `inbox:receive()` calls be rewritten
    /// (``Module/bindsReceive``).
    public static func translateModule(
        _ source: [UInt8], chunkName: String, bindsProcess: Bool = false
    ) throws(TypedLuaSyntaxError) -> Module {
        do {
            var parser = try Parser(source: source)
            parser.rewritesReceive = bindsProcess
            try parser.parseChunk()
            let code = parser.edits.isEmpty ? source : Emitter.apply(parser.edits, to: source)
            return Module(code: code, stateReason: parser.stateReason, readsProcessFieldsOnly: parser.processUse.onlyFieldReads,
                bindsReceive: parser.usesReceiveBinding)
        } catch {
            throw TypedLuaSyntaxError(error, source: source, chunkName: chunkName)
        }
    }

    /// Translates dialect source held in a `String`, exactly like the `[UInt8]` overload.
    ///
    /// Returns `source` itself when nothing needs to change.
    public static func translate(_ source: String, chunkName: String) throws(TypedLuaSyntaxError) -> String {
        let bytes = Array(source.utf8)
        let translated = try translate(bytes, chunkName: chunkName)
        if translated == bytes { return source }
        return String(decoding: translated, as: UTF8.self)
    }

    /// Checks dialect source without translating it.
    ///
    /// - Throws: ``TypedLuaSyntaxError`` for the first syntax error.
    public static func check(_ source: [UInt8], chunkName: String) throws(TypedLuaSyntaxError) {
        _ = try translate(source, chunkName: chunkName)
    }
}
