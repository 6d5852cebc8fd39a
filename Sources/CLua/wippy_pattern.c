/*
 * CLua: string.find, string.match, string.gmatch and string.gsub with Lua 5.4 patterns (reference manual
 * §6.4.1), written for Wippy.
 *
 * The matcher keeps its choice points (a quantified item that can give back characters, an optional item, a
 * capture that can be undone) on an explicit stack instead of the C stack, and counts its steps. It can stop
 * after any step: when the process's slice is used up, the state moves into userdata on the Lua stack and the
 * function yields with a continuation; the scheduler runs other processes and later resumes it where it
 * stopped. A match still backtracking after a large number of steps fails with an error. gsub calls a
 * replacement function with lua_callk, so the function may block or be preempted too.
 *
 * Limits and error messages are Lua's own, so programs see the same behaviour: at most 32 captures, at most
 * 200 nested choice points ("pattern too complex"), and the same messages for malformed patterns.
 *
 * Stack of every function here: its arguments (padded to 4), then three slots for the boxed state, the boxed
 * choice stack and the boxed result buffer (nil until needed); results go above them. find, match and gmatch
 * make the slots only when they suspend; gsub from the start (its buffer may grow with a value on top).
 *
 * The matcher itself is in wippy_match.c.
 */
#define _GNU_SOURCE /* memmem */
#include "wippy_match.h"

#include <string.h>

/* ---------------------------------------------------------------- arguments */

static const char *wp_check_string(lua_State *L, int arg, size_t *len) {
    if (lua_type(L, arg) == LUA_TUSERDATA) wippy_string_like(L, arg);
    return luaL_checklstring(L, arg, len);
}

/* 0-based start offset for a 1-based (or negative, from the end) position. */
static size_t wp_start_offset(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos - 1;
    if (pos == 0 || pos < -(lua_Integer)len) return 0;
    return len - (size_t)(-pos);
}

static int wp_no_specials(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        switch (p[i]) {
        case '^': case '$': case '*': case '+': case '?': case '.': case '(': case '[': case '%': case '-':
            return 0;
        default:
            break;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- find and match */

static int wp_find_run(lua_State *L, wp_state *ms);

static int wp_find_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    wp_choice local[WP_MAXCHOICES];
    return wp_find_run(L, wp_unbox(L, local));
}

static int wp_find_run(lua_State *L, wp_state *ms) {
    for (;;) {
        int r = wp_attempt(L, ms);
        if (r == WP_SUSPEND) {
            wp_box(L, ms, 1);
            return wippy_native_yield(L, 0, wp_find_k);
        }
        if (r == WP_FOUND) {
            if (ms->op == WP_MATCH) return wp_push_captures(L, ms, 1);
            lua_pushinteger(L, (lua_Integer)ms->start + 1);
            lua_pushinteger(L, (lua_Integer)ms->e);
            return wp_push_captures(L, ms, 0) + 2;
        }
        if (ms->anchor || ms->start >= ms->slen) break;
        wp_begin(ms, ms->start + 1);
    }
    luaL_pushfail(L);
    return 1;
}

static int wp_find_or_match(lua_State *L, int op) {
    size_t slen, plen;
    const char *s = wp_check_string(L, 1, &slen);
    const char *p = wp_check_string(L, 2, &plen);
    size_t init = wp_start_offset(luaL_optinteger(L, 3, 1), slen);
    if (init > slen) {
        luaL_pushfail(L);
        return 1;
    }
    if (op == WP_FIND && (lua_toboolean(L, 4) || wp_no_specials(p, plen))) {
        const char *hit = (const char *)memmem(s + init, slen - init, p, plen);
        if (hit == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
        lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)plen);
        return 2;
    }
    wp_state ms;
    wp_choice local[WP_MAXCHOICES];
    wp_prepare(&ms, op, s, slen, p, plen, local);
    wp_begin(&ms, init);
    return wp_find_run(L, &ms);
}

static int wp_find(lua_State *L) { return wp_find_or_match(L, WP_FIND); }

static int wp_match(lua_State *L) { return wp_find_or_match(L, WP_MATCH); }

/* ---------------------------------------------------------------- gmatch */

typedef struct wp_gmatch {
    const char *src, *pat; /* the subject and pattern (upvalues 1 and 2 keep them) */
    size_t slen, plen;
    size_t next;      /* where the next search starts */
    size_t lastmatch; /* end of the previous match (an empty match there is skipped) */
} wp_gmatch;

static int wp_gmatch_run(lua_State *L, wp_state *ms);

static int wp_gmatch_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    wp_choice local[WP_MAXCHOICES];
    return wp_gmatch_run(L, wp_unbox(L, local));
}

static int wp_gmatch_run(lua_State *L, wp_state *ms) {
    for (;;) {
        int r = wp_attempt(L, ms);
        if (r == WP_SUSPEND) {
            wp_box(L, ms, 1);
            return wippy_native_yield(L, 0, wp_gmatch_k);
        }
        if (r == WP_FOUND && ms->e != ms->lastmatch) {
            wp_gmatch *gm = (wp_gmatch *)lua_touserdata(L, lua_upvalueindex(3));
            gm->next = gm->lastmatch = ms->e;
            return wp_push_captures(L, ms, 1);
        }
        if (ms->start >= ms->slen) return 0;
        wp_begin(ms, ms->start + 1);
    }
}

static int wp_gmatch_step(lua_State *L) {
    wp_gmatch *gm = (wp_gmatch *)lua_touserdata(L, lua_upvalueindex(3));
    if (gm->next > gm->slen) return 0;
    wp_state ms;
    wp_choice local[WP_MAXCHOICES];
    wp_prepare(&ms, WP_GMATCH, gm->src, gm->slen, gm->pat, gm->plen, local);
    ms.lastmatch = gm->lastmatch;
    wp_begin(&ms, gm->next);
    return wp_gmatch_run(L, &ms);
}

static int wp_gmatch_new(lua_State *L) {
    size_t slen, plen;
    const char *s = wp_check_string(L, 1, &slen);
    const char *p = wp_check_string(L, 2, &plen);
    size_t init = wp_start_offset(luaL_optinteger(L, 3, 1), slen);
    if (init > slen) init = slen + 1;
    lua_settop(L, 2);
    wp_gmatch *gm = (wp_gmatch *)lua_newuserdatauv(L, sizeof *gm, 0);
    gm->src = s;
    gm->slen = slen;
    gm->pat = p;
    gm->plen = plen;
    gm->next = init;
    gm->lastmatch = WP_NONE;
    lua_pushcclosure(L, wp_gmatch_step, 3);
    return 1;
}

/* ---------------------------------------------------------------- gsub */

/* Appends the string replacement (argument 3) for the last match: "%0".."%9" and "%%" expand. */
static void wp_add_replacement(lua_State *L, wp_state *ms) {
    size_t len;
    const char *r = lua_tolstring(L, 3, &len);
    size_t i = 0;
    while (i < len) {
        const char *escape = (const char *)memchr(r + i, '%', len - i);
        if (escape == NULL) {
            wp_buffer_add(L, ms, r + i, len - i);
            return;
        }
        size_t at = (size_t)(escape - r);
        wp_buffer_add(L, ms, r + i, at - i);
        int c = at + 1 < len ? (unsigned char)r[at + 1] : 0;
        if (c == '%') {
            wp_buffer_add_char(L, ms, '%');
        } else if (c == '0') {
            wp_buffer_add(L, ms, ms->src + ms->start, ms->e - ms->start);
        } else if (c >= '1' && c <= '9') {
            int index = c - '1';
            if (index >= ms->level) {
                if (index != 0) luaL_error(L, "invalid capture index %%%d", index + 1);
                wp_buffer_add(L, ms, ms->src + ms->start, ms->e - ms->start);
            } else if (ms->cap[index].len >= 0) {
                wp_buffer_add(L, ms, ms->src + ms->cap[index].init, (size_t)ms->cap[index].len);
            } else {
                size_t n;
                wp_push_capture(L, ms, index); /* a position (or the error for an unfinished capture) */
                const char *text = lua_tolstring(L, -1, &n);
                wp_buffer_add(L, ms, text, n);
                lua_pop(L, 1);
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", '%');
        }
        i = at + 2;
    }
}

/* Appends the value a replacement table or function gave (on top of the stack, popped): false or nil keep
   the match as it was. */
static void wp_add_value(lua_State *L, wp_state *ms) {
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        wp_buffer_add(L, ms, ms->src + ms->start, ms->e - ms->start);
        return;
    }
    if (lua_type(L, -1) == LUA_TUSERDATA) wippy_string_like(L, lua_gettop(L));
    if (!lua_isstring(L, -1)) luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    size_t len;
    const char *value = lua_tolstring(L, -1, &len);
    wp_buffer_add(L, ms, value, len);
    lua_pop(L, 1);
    ms->changed = 1;
}

static int wp_gsub_run(lua_State *L, wp_state *ms);

static int wp_gsub_finish(lua_State *L, wp_state *ms) {
    if (!ms->changed) {
        lua_pushvalue(L, 1);
    } else {
        wp_buffer_add(L, ms, ms->src + ms->start, ms->slen - ms->start);
        lua_pushlstring(L, ms->buf.data, ms->buf.len);
    }
    lua_pushinteger(L, ms->n);
    return 2;
}

/* After a match was replaced: go on after it. Returns 0 when gsub is done. */
static int wp_gsub_next(wp_state *ms) {
    ms->lastmatch = ms->e;
    wp_begin(ms, ms->e);
    return !ms->anchor;
}

static int wp_gsub_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    wp_choice local[WP_MAXCHOICES];
    wp_state *ms = wp_unbox(L, local);
    if (ms->phase == WP_CALLING) { /* the replacement function returned after a yield */
        ms->phase = WP_MATCHING;
        wp_add_value(L, ms);
        if (!wp_gsub_next(ms)) return wp_gsub_finish(L, ms);
    }
    return wp_gsub_run(L, ms);
}

static int wp_gsub_run(lua_State *L, wp_state *ms) {
    while (ms->n < ms->max_n) {
        int r = wp_attempt(L, ms);
        if (r == WP_SUSPEND) {
            wp_box(L, ms, 1);
            return wippy_native_yield(L, 0, wp_gsub_k);
        }
        if (r == WP_FOUND && ms->e != ms->lastmatch) {
            ms->n++;
            switch (ms->repl) {
            case LUA_TFUNCTION: {
                ms->depth = 0; /* the match is taken: its choice points are no longer needed */
                ms = wp_box(L, ms, 0);
                lua_pushvalue(L, 3);
                int nargs = wp_push_captures(L, ms, 1);
                ms->phase = WP_CALLING;
                lua_callk(L, nargs, 1, 0, wp_gsub_k);
                ms->phase = WP_MATCHING;
                wp_add_value(L, ms);
                break;
            }
            case LUA_TTABLE:
                wp_push_capture(L, ms, 0);
                lua_gettable(L, 3);
                wp_add_value(L, ms);
                break;
            default:
                wp_add_replacement(L, ms);
                ms->changed = 1;
                break;
            }
            if (!wp_gsub_next(ms)) break;
        } else if (ms->start < ms->slen) {
            wp_buffer_add_char(L, ms, (char)ms->src[ms->start]);
            wp_begin(ms, ms->start + 1);
            if (ms->anchor) break;
        } else {
            break;
        }
    }
    return wp_gsub_finish(L, ms);
}

static int wp_gsub(lua_State *L) {
    size_t slen, plen;
    const char *s = wp_check_string(L, 1, &slen);
    const char *p = wp_check_string(L, 2, &plen);
    if (lua_type(L, 3) == LUA_TUSERDATA) wippy_string_like(L, 3);
    int repl = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)slen + 1);
    luaL_argexpected(L, repl == LUA_TNUMBER || repl == LUA_TSTRING || repl == LUA_TFUNCTION || repl == LUA_TTABLE,
                     3, "string/function/table");
    lua_settop(L, WP_SLOTS);
    wp_state ms;
    wp_choice local[WP_MAXCHOICES];
    char inline_buffer[WP_INLINE_BUFFER];
    wp_prepare(&ms, WP_GSUB, s, slen, p, plen, local);
    ms.buf.data = inline_buffer;
    ms.buf.cap = sizeof inline_buffer;
    ms.repl = repl;
    ms.max_n = max_n;
    wp_begin(&ms, 0);
    return wp_gsub_run(L, &ms);
}

/* ---------------------------------------------------------------- installation */

void wippy_set_pattern_functions(lua_State *L, int table) {
    wp_init_classes();
    static const luaL_Reg functions[] = {
        {"find", wp_find}, {"match", wp_match}, {"gmatch", wp_gmatch_new}, {"gsub", wp_gsub}, {NULL, NULL},
    };
    table = lua_absindex(L, table);
    for (const luaL_Reg *f = functions; f->name != NULL; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, table, f->name);
    }
}
