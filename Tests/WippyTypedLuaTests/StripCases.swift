/// The 55 strip cases of section 6.1 of the typed-Lua spec: dialect input and the expected Lua 5.4 output.
///
/// Copied from `shared/spec/typed-lua.md`; compare per the spec: same line count, equal tokens per line.
enum StripCases {
    static var all: [Case] { declarations + expressions }

    struct Case: Sendable, CustomStringConvertible {
        var id: String
        var title: String
        var input: String
        var expected: String
        var description: String { "\(id) \(title)" }
    }

    /// S01–S24: annotations, signatures, generics and declarations.
    static let declarations: [Case] = [
        Case(
            id: "S01", title: "typed local",
            input: #"""
            local count: integer = 0
            """#,
            expected: #"""
            local count = 0
            """#
        ),
        Case(
            id: "S02", title: "several names, only some annotated, optional type",
            input: #"""
            local a: number, b, c: string? = 1, 2, nil
            """#,
            expected: #"""
            local a, b, c = 1, 2, nil
            """#
        ),
        Case(
            id: "S03", title: "annotated local without initializer",
            input: #"""
            local result: {string}
            """#,
            expected: #"""
            local result
            """#
        ),
        Case(
            id: "S04", title: "local function, parameter and return annotations (real example shape)",
            input: #"""
            local function call(n: number): number
                return n * 2
            end
            """#,
            expected: #"""
            local function call(n)
                return n * 2
            end
            """#
        ),
        Case(
            id: "S05", title: "return annotation directly followed by the body on the same line",
            input: #"""
            local function main(): integer return 0 end
            """#,
            expected: #"""
            local function main() return 0 end
            """#
        ),
        Case(
            id: "S06", title: "method definition with implicit self, optional parameter",
            input: #"""
            function Account:deposit(amount: number, note: string?): boolean
                self.balance = self.balance + amount
                return true
            end
            """#,
            expected: #"""
            function Account:deposit(amount, note)
                self.balance = self.balance + amount
                return true
            end
            """#
        ),
        Case(
            id: "S07", title: "parenthesised multiple returns",
            input: #"""
            local function divmod(a: integer, b: integer): (integer, integer) return a // b, a % b end
            """#,
            expected: #"""
            local function divmod(a, b) return a // b, a % b end
            """#
        ),
        Case(
            id: "S08", title: "multiple returns without parentheses, dotted function name",
            input: #"""
            function M.pair(): number, string return 1, "x" end
            """#,
            expected: #"""
            function M.pair() return 1, "x" end
            """#
        ),
        Case(
            id: "S09", title: "explicit empty return list",
            input: #"""
            local function log(msg: string): () print(msg) end
            """#,
            expected: #"""
            local function log(msg) print(msg) end
            """#
        ),
        Case(
            id: "S10", title: "typed varargs",
            input: #"""
            local function sum(...: number): number
                local t = 0
                for _, v in ipairs({...}) do t = t + v end
                return t
            end
            """#,
            expected: #"""
            local function sum(...)
                local t = 0
                for _, v in ipairs({...}) do t = t + v end
                return t
            end
            """#
        ),
        Case(
            id: "S11", title: "type alias becomes an empty statement",
            input: #"""
            type Job = {id: integer, input: integer}
            """#,
            expected: #"""
            ;
            """#
        ),
        Case(
            id: "S12", title: "generic tagged union spread over lines (the `|` continues the type on the next line)",
            input: #"""
            type Result<T, E> =
                {ok: true, value: T}
                | {ok: false, error: E}
            local r = {ok = true, value = 1}
            """#,
            expected: #"""
            ;


            local r = {ok = true, value = 1}
            """#
        ),
        Case(
            id: "S13", title: "record with a comment, validators, optional field, trailing comma",
            input: #"""
            type Config = {
                host: string, -- hostname
                port: integer @min(1) @max(65535),
                timeout?: number,
            }
            """#,
            expected: #"""
            ;




            """#
        ),
        Case(
            id: "S14", title: "generic local function",
            input: #"""
            local function first<T>(arr: {T}): T?
                return arr[1]
            end
            """#,
            expected: #"""
            local function first(arr)
                return arr[1]
            end
            """#
        ),
        Case(
            id: "S15", title: "constrained type parameters on a dotted name, function-typed parameter",
            input: #"""
            function Box.map<T: HasName, U>(self: Box, f: (T) -> U): {U} return {} end
            """#,
            expected: #"""
            function Box.map(self, f) return {} end
            """#
        ),
        Case(
            id: "S16", title: "generic anonymous function",
            input: #"""
            local id = function<T>(x: T): T return x end
            """#,
            expected: #"""
            local id = function(x) return x end
            """#
        ),
        Case(
            id: "S17", title: "function type on a local and on the function literal",
            input: #"""
            local double: (number) -> number = function(x: number): number return x * 2 end
            """#,
            expected: #"""
            local double = function(x) return x * 2 end
            """#
        ),
        Case(
            id: "S18", title: "`fun(...)` type with a variadic tail",
            input: #"""
            local cb: fun(err: string?, ...any): boolean = nil
            """#,
            expected: #"""
            local cb = nil
            """#
        ),
        Case(
            id: "S19", title: "nested generic arguments closed by `>>`",
            input: #"""
            local m: Map<string, Box<number>> = {}
            """#,
            expected: #"""
            local m = {}
            """#
        ),
        Case(
            id: "S20", title: "map of arrays",
            input: #"""
            local index: {[string]: {number}} = {}
            """#,
            expected: #"""
            local index = {}
            """#
        ),
        Case(
            id: "S21", title: "literal unions and intersections",
            input: #"""
            type Status = "pending" | "active" | 'done' | 42 | true
            type Person = Named & Aged
            """#,
            expected: #"""
            ;
            ;
            """#
        ),
        Case(
            id: "S22", title: "conditional, keyof, indexed access, typeof",
            input: #"""
            type IsStr<T> = T extends string ? true : false
            type K = keyof(User)
            type N = User["name"]
            type Cfg = typeof(default_config)
            """#,
            expected: #"""
            ;
            ;
            ;
            ;
            """#
        ),
        Case(
            id: "S23", title: "typeof with a call inside a return annotation (pattern from wippyai/framework)",
            input: #"""
            local function get_registry(): typeof(require("registry"))
                return require("registry")
            end
            """#,
            expected: #"""
            local function get_registry()
                return require("registry")
            end
            """#
        ),
        Case(
            id: "S24", title: "interface declaration",
            input: #"""
            interface Serializable: Base, Other
                function serialize(self: any): string
                function size(): integer
            end
            local s = 1
            """#,
            expected: #"""
            ;



            local s = 1
            """#
        ),
    ]
}
