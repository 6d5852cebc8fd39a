/// Larger dialect programs in the shape of real Wippy code, used by the translation and `luac` suites.
enum RealisticPrograms {
    /// A process `main` with typed locals, record and union types, an interface, `process.inbox()`,
    /// `channel.select{...}`, casts and `!`.
    static let workerProcess = #"""
        local time = require("time")
        local logger = require("logger")

        type Job = {id: integer, input: integer, tags: {string}?}
        type Result<T> =
            {ok: true, value: T}
            | {ok: false, error: string}

        interface Worker
            function run(self: Worker, job: Job): Result<integer>
        end

        local function compute(job: Job): Result<integer>
            if job.input < 0 then
                return {ok = false, error = "negative input"}
            end
            return {ok = true, value = job.input * 2}
        end

        local function main(): integer
            local inbox = process.inbox()
            local events = process.events()
            local done: boolean = false
            local count: integer = 0
            local timeout = time.after("5s")
            while not done do
                local result = channel.select{
                    inbox:case_receive(),
                    events:case_receive(),
                    timeout:case_receive(),
                }
                if result.channel == events then
                    local event = result.value :: {kind: string}
                    if event.kind == process.event.CANCEL then
                        done = true
                    end
                elseif result.channel == timeout then
                    logger:info("idle", {count = count})
                    timeout = time.after("5s")
                else
                    local msg = result.value
                    local job = msg:payload():data() as Job
                    local r = compute(job)
                    if r.ok then
                        count = count + 1
                        process.send(msg:from(), "result", (r as any).value)
                    else
                        logger:warn("job failed", {error = (r :: any).error, id = job.id!})
                    end
                end
            end
            return count
        end

        return { main = main }
        """#

    /// A library with generic classes, metatables, varargs, `goto continue`, odd escapes and long strings.
    static let collections = #"""
        --[[ Collections library.
             local x: number = 1 -- type-like text in a comment stays ]]
        local M = {}

        type Comparator<T> = (a: T, b: T) -> boolean
        type Entry<K, V> = {key: K, value: V, meta: readonly {[string]: any}?}

        local List = {}
        List.__index = List

        function List.new<T>(...: T): List
            local self = setmetatable({items = {...}, n = select("#", ...)}, List)
            return self
        end

        function List:push<T>(value: T): ()
            self.n = self.n + 1
            self.items[self.n] = value
        end

        function List:map<U>(f: (any) -> U): List
            local out = List.new()
            for i = 1, self.n do
                local v = self.items[i]
                if v == nil then goto continue end
                out:push(f(v))
                ::continue::
            end
            return out
        end

        function List:sort(cmp: Comparator<any>?): List
            table.sort(self.items, cmp or function(a: any, b: any): boolean return a < b end)
            return self
        end

        function List:is(value: any): boolean
            return getmetatable(value) == List
        end

        local function first<T>(list: {T}): T?
            return list[1]
        end

        local function pack(...: any): (integer, {any})
            return select("#", ...), {...}
        end

        M.List = List
        M.first = first
        M.pack = pack
        M.doc = [==[
        Usage: local xs: {number} = List.new(1, 2) -- not a real annotation
        ]==]
        M.escapes = "tab\tq\q x\x41 z\z u\u{48} dec\65\066"
        M.bits = (0xFF & 0x0F) | (1 << 4) ~ ~0 >> 2 // 1
        M.type = type
        M.kind = type(M) == "table" and "module" or nil

        return M
        """#

    /// An HTTP-style handler module: validators, conditional and indexed types, `asserts`, `typeof`,
    /// multi-line signatures and chained casts.
    static let httpHandler = #"""
        local http = require("http")
        local json = require("json")

        type Method = "GET" | "POST" | "PUT" | "DELETE"
        type Request = {
            method: Method,
            path: string @min_len(1),
            query: {[string]: string}?,
            body?: string,
            headers: readonly {[string]: string},
        }
        type Response = {status: integer @min(100) @max(599), body: string}
        type Handler = (req: Request) -> (Response?, string?)
        type Routes = {[string]: Handler}
        type Field = keyof(Request)
        type Status = Response["status"]
        type Body<T> = T extends string ? T : never

        local function get_registry(): typeof(require("registry"))
            return require("registry")
        end

        local function assert_request(x: any): asserts x is Request
            if type(x) ~= "table" then error("bad request") end
        end

        local function respond(
            status: integer,
            body: any,
            opts: {json: boolean?}?
        ): Response
            local text: string = (opts and opts.json) and json.encode(body) :: string or tostring(body)
            return {status = status, body = text}
        end

        local routes: Routes = {
            ["/health"] = function(req: Request): (Response?, string?)
                return respond(200, "ok"), nil
            end,
            ["/echo"] = function(req): (Response?, string?)
                local data = json.decode(req.body!) as {message: string}
                return respond(200, data.message, {json = true}), nil
            end,
        }

        local function handler(): ()
            local res = http.response()
            local req = http.request() :: Request
            assert_request(req)
            local route = routes[req.path]
            if route == nil then
                res:set_status(404)
                return
            end
            local out, err = route(req)
            if err then
                res:set_status(500)
                res:write(err)
                return
            end
            local r = out as Response
            res:set_status(r.status)
            res:write(r.body)
            get_registry():find({kind = "http.endpoint"} as any)
        end

        return {handler = handler}
        """#

    /// Plain Lua 5.4 with no dialect syntax at all: translation returns it unchanged.
    static let plainLua = #"""
        local M = {}
        local function helper(a, b, ...)
            local t = {a, b, ...}
            for i, v in ipairs(t) do
                if v == nil then goto skip end
                print(i, v)
                ::skip::
            end
            return #t, a // 2, a % 3, a ~ b, a << 1
        end
        function M.run(self, x) return helper(x, x) end
        local s = "escapes \n \t \\ \" \65 fine"
        local long = [[
        local x: number = 1
        ]]
        return M
        """#

    /// Every program that must translate and pass `luac5.4 -p`.
    static let all: [(name: String, source: String)] = [
        ("workerProcess", workerProcess), ("collections", collections), ("httpHandler", httpHandler),
        ("plainLua", plainLua),
    ]
}
