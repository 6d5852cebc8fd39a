-- The consumer's handler: tells the driver the message arrived.
local M = {}

function M.handle(job: {reply: string, n: integer}): boolean
    process.send(job.reply, "done", job.n)
    return true
end

return M
