extension StripCases {
    /// S25–S55: casts, `!`, statement boundaries, identifiers, escapes and mixed code.
    static let expressions: [Case] = [
        Case(
            id: "S25", title: "`as` cast",
            input: #"""
            local user = data as User
            """#,
            expected: #"""
            local user = data
            """#
        ),
        Case(
            id: "S26", title: "`::` cast swallows a union type",
            input: #"""
            local v = raw :: string | number
            """#,
            expected: #"""
            local v = raw
            """#
        ),
        Case(
            id: "S27", title: "cast binds tighter than arithmetic; removing it keeps the tree",
            input: #"""
            local total = base + extra as integer * 2
            """#,
            expected: #"""
            local total = base + extra * 2
            """#
        ),
        Case(
            id: "S28", title: "unary minus over a cast",
            input: #"""
            local neg = -n as integer
            """#,
            expected: #"""
            local neg = -n
            """#
        ),
        Case(
            id: "S29", title: "non-nil assertion inside parentheses before a field access",
            input: #"""
            local name = (user!).name
            """#,
            expected: #"""
            local name = (user).name
            """#
        ),
        Case(
            id: "S30", title: "cast inside parentheses, double assertion",
            input: #"""
            if (result :: any).ok then print(x!!) end
            """#,
            expected: #"""
            if (result).ok then print(x) end
            """#
        ),
        Case(
            id: "S31", title: "cast of a call in a multi-value position keeps only one value",
            input: #"""
            local a, b = fetch() as any
            """#,
            expected: #"""
            local a, b = (fetch())
            """#
        ),
        Case(
            id: "S32", title: "assertion on a method call as last argument",
            input: #"""
            print(obj:get()!)
            """#,
            expected: #"""
            print((obj:get()))
            """#
        ),
        Case(
            id: "S33", title: "cast of varargs in a return list",
            input: #"""
            local function f(...) return ... :: any end
            """#,
            expected: #"""
            local function f(...) return (...) end
            """#
        ),
        Case(
            id: "S34", title: "statement ending in a stripped `!`, next line starts with `(`",
            input: #"""
            local v = t[k]!
            (handler or default)(v)
            """#,
            expected: #"""
            local v = t[k];
            (handler or default)(v)
            """#
        ),
        Case(
            id: "S35", title: "removed declaration between a statement and a `(` line",
            input: #"""
            local a = b
            type T = number
            (f or g)(a)
            """#,
            expected: #"""
            local a = b
            ;
            (f or g)(a)
            """#
        ),
        Case(
            id: "S36", title: "cast and label on one line",
            input: #"""
            local y = x :: any; ::done::
            """#,
            expected: #"""
            local y = x; ::done::
            """#
        ),
        Case(
            id: "S37", title: "`::name::` right after an expression is a label, not a cast",
            input: #"""
            local a = b ::c::
            """#,
            expected: #"""
            local a = b ::c::
            """#
        ),
        Case(
            id: "S38", title: "`type` used as an ordinary identifier, call, field",
            input: #"""
            local type = type
            local kind = type(x)
            local t = {type = "user"}
            if t.type == "user" then print(kind) end
            """#,
            expected: #"""
            local type = type
            local kind = type(x)
            local t = {type = "user"}
            if t.type == "user" then print(kind) end
            """#
        ),
        Case(
            id: "S39", title: "record field named `type`, keyword field, method named `is`",
            input: #"""
            type Msg = {type: string, readonly: boolean?}
            local ok = Point:is(data)
            """#,
            expected: #"""
            ;
            local ok = Point:is(data)
            """#
        ),
        Case(
            id: "S40", title: "integer division and bitwise operators pass through",
            input: #"""
            local m = (a & 0xFF) | (b << 8) ~ ~c // 2
            """#,
            expected: #"""
            local m = (a & 0xFF) | (b << 8) ~ ~c // 2
            """#
        ),
        Case(
            id: "S41", title: "bitwise or after a parenthesised cast",
            input: #"""
            local f = (flags as integer) | 4
            """#,
            expected: #"""
            local f = (flags) | 4
            """#
        ),
        Case(
            id: "S42", title: "validators inside a union annotation",
            input: #"""
            local id: number @min(1) | string @min_len(1) = 1
            """#,
            expected: #"""
            local id = 1
            """#
        ),
        Case(
            id: "S43", title: "signature spread over several lines",
            input: #"""
            local function handler(
                req: Request,
                opts: {timeout: number?}?
            ): (Response?, string?)
                return nil, "todo"
            end
            """#,
            expected: #"""
            local function handler(
                req,
                opts
            )
                return nil, "todo"
            end
            """#
        ),
        Case(
            id: "S44", title: "`asserts` return type",
            input: #"""
            local function check(x: any): asserts x is string if type(x) ~= "string" then error("no") end end
            """#,
            expected: #"""
            local function check(x) if type(x) ~= "string" then error("no") end end
            """#
        ),
        Case(
            id: "S45", title: "goto/label with a cast in the loop header",
            input: #"""
            for _, e in ipairs(list :: {Entry}) do
                if not e.ok then goto continue end
                process(e)
                ::continue::
            end
            """#,
            expected: #"""
            for _, e in ipairs(list) do
                if not e.ok then goto continue end
                process(e)
                ::continue::
            end
            """#
        ),
        Case(
            id: "S46", title: "escapes that Lua 5.4 reads differently are rewritten",
            input: #"""
            local s = "a\x41\z b\q"
            """#,
            expected: #"""
            local s = "ax41z bq"
            """#
        ),
        Case(
            id: "S47", title: "type-like text inside long strings and comments is untouched",
            input: #"""
            local doc = [[local x: number = 1]] -- type T = string
            """#,
            expected: #"""
            local doc = [[local x: number = 1]] -- type T = string
            """#
        ),
        Case(
            id: "S48", title: "readonly array",
            input: #"""
            local xs: readonly {number} = {1, 2}
            """#,
            expected: #"""
            local xs = {1, 2}
            """#
        ),
        Case(
            id: "S49", title: "qualified type with array suffix",
            input: #"""
            local list: time.Time[] = {}
            """#,
            expected: #"""
            local list = {}
            """#
        ),
        Case(
            id: "S50", title: "optional parenthesised function type, multi-return function type",
            input: #"""
            type Handler = {on: ((string) -> ())?, cb: (a: number, ...string) -> (boolean, string?)}
            """#,
            expected: #"""
            ;
            """#
        ),
        Case(
            id: "S51", title: "chained casts",
            input: #"""
            local z = v as any as number
            """#,
            expected: #"""
            local z = v
            """#
        ),
        Case(
            id: "S52", title: "annotated function inside a table constructor",
            input: #"""
            local api = {
                get = function(self, id: string): Item?
                    return self.items[id]
                end,
            }
            """#,
            expected: #"""
            local api = {
                get = function(self, id)
                    return self.items[id]
                end,
            }
            """#
        ),
        Case(
            id: "S53", title: "annotated callback argument",
            input: #"""
            table.sort(items, function(a: Item, b: Item): boolean return a.rank < b.rank end)
            """#,
            expected: #"""
            table.sort(items, function(a, b) return a.rank < b.rank end)
            """#
        ),
        Case(
            id: "S54", title: "cast inside a table key, return of a cast",
            input: #"""
            local function wrap(k, v) local t = {[k as string] = v}; return t :: Config end
            """#,
            expected: #"""
            local function wrap(k, v) local t = {[k] = v}; return t end
            """#
        ),
        Case(
            id: "S55", title: "declaration right after a call",
            input: #"""
            print("start")
            type Id = string
            local id: Id = "x"
            """#,
            expected: #"""
            print("start")
            ;
            local id = "x"
            """#
        ),
    ]
}
