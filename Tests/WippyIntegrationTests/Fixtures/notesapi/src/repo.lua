-- Notes in SQLite: the table is created on first use.
local sql = require("sql")

local repo = {}

local function db()
    local handle = assert(sql.get("app:db"))
    assert(handle:execute([[CREATE TABLE IF NOT EXISTS notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        body TEXT,
        priority INTEGER NOT NULL DEFAULT 3,
        created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP)]]))
    return handle
end

function repo.list(limit, search)
    local query = sql.builder.select("id", "title", "body", "priority", "created_at"):from("notes"):order_by("id"):limit(limit)
    if search then query = query:where("title LIKE ?", "%" .. search .. "%") end
    return query:run_with(db()):query()
end

function repo.find(id)
    local rows, err = db():query("SELECT id, title, body, priority, created_at FROM notes WHERE id = ?", {id})
    if err then return nil, err end
    return rows[1]
end

function repo.insert(note)
    local result, err = db():execute("INSERT INTO notes (title, body, priority) VALUES (?, ?, ?)",
        {note.title, note.body or sql.NULL, note.priority or 3})
    if err then return nil, err end
    return repo.find(result.last_insert_id)
end

function repo.update(id, note)
    local result, err = db():execute(
        "UPDATE notes SET title = COALESCE(?, title), body = COALESCE(?, body), priority = COALESCE(?, priority) WHERE id = ?",
        {note.title or sql.NULL, note.body or sql.NULL, note.priority or sql.NULL, id})
    if err then return nil, err end
    if result.rows_affected == 0 then return nil end
    return repo.find(id)
end

function repo.delete(id)
    local result, err = db():execute("DELETE FROM notes WHERE id = ?", {id})
    if err then return nil, err end
    return result.rows_affected > 0
end

return repo
