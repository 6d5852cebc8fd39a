-- The notes endpoints: JSON in and out, path parameters, validation errors as 400/422 with details.
local http = require("http")
local repo = require("repo")

local function reply(res, status, value)
    res:set_content_type(http.CONTENT.JSON)
    res:set_status(status)
    res:write_json(value)
end

-- The `{id}` path parameter as a positive integer, or a 400 sent.
local function note_id(req, res)
    local text = req:param("id")
    local id = tonumber(text)
    if not id or id ~= math.floor(id) or id < 1 then
        reply(res, http.STATUS.BAD_REQUEST, {error = "id must be a positive integer, got '" .. tostring(text) .. "'"})
        return nil
    end
    return math.tointeger(id)
end

-- The body as a note: every problem found, by field (a new note needs a title).
local function validate(note, partial)
    local errors = {}
    if type(note) ~= "table" or note[1] ~= nil then return nil, {body = "must be a JSON object"} end
    if note.title == nil then
        if not partial then errors.title = "is required" end
    elseif type(note.title) ~= "string" or #note.title == 0 or #note.title > 100 then
        errors.title = "must be a string of 1 to 100 characters"
    end
    if note.body ~= nil and type(note.body) ~= "string" then errors.body = "must be a string" end
    if note.priority ~= nil and (math.type(note.priority) ~= "integer" or note.priority < 1 or note.priority > 5) then
        errors.priority = "must be an integer from 1 to 5"
    end
    if next(errors) then return nil, errors end
    return {title = note.title, body = note.body, priority = note.priority}
end

local function read_note(req, res, partial)
    local body, err = req:body_json()
    if err then
        reply(res, http.STATUS.BAD_REQUEST, {error = "invalid JSON: " .. err:message()})
        return nil
    end
    local note, errors = validate(body, partial)
    if not note then
        reply(res, http.STATUS.UNPROCESSABLE, {error = "validation failed", fields = errors})
        return nil
    end
    return note
end

local function list()
    local req, res = http.request(), http.response()
    local limit = tonumber(req:query("limit") or "50")
    if not limit or limit < 1 or limit > 500 then
        return reply(res, http.STATUS.BAD_REQUEST, {error = "limit must be from 1 to 500"})
    end
    local rows = assert(repo.list(math.tointeger(limit), req:query("q")))
    reply(res, http.STATUS.OK, {notes = rows, count = #rows})
end

local function create()
    local req, res = http.request(), http.response()
    local note = read_note(req, res, false)
    if not note then return end
    local saved = assert(repo.insert(note))
    res:set_header("Location", "/api/notes/" .. saved.id)
    reply(res, http.STATUS.CREATED, saved)
end

local function show()
    local req, res = http.request(), http.response()
    local id = note_id(req, res)
    if not id then return end
    local note = repo.find(id)
    if not note then return reply(res, http.STATUS.NOT_FOUND, {error = "note " .. id .. " not found"}) end
    reply(res, http.STATUS.OK, note)
end

local function update()
    local req, res = http.request(), http.response()
    local id = note_id(req, res)
    if not id then return end
    local note = read_note(req, res, true)
    if not note then return end
    local saved = repo.update(id, note)
    if not saved then return reply(res, http.STATUS.NOT_FOUND, {error = "note " .. id .. " not found"}) end
    reply(res, http.STATUS.OK, saved)
end

local function remove()
    local req, res = http.request(), http.response()
    local id = note_id(req, res)
    if not id then return end
    local deleted, err = repo.delete(id)
    if err then error(err) end
    if not deleted then return reply(res, http.STATUS.NOT_FOUND, {error = "note " .. id .. " not found"}) end
    res:set_status(http.STATUS.NO_CONTENT)
end

return {list = list, create = create, show = show, update = update, remove = remove}
