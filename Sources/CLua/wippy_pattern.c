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
 * Stack of every function here: its arguments padded to 4 (lua_settop), then three slots for the boxed state,
 * the boxed choice stack and the boxed result buffer (nil until needed); results go above them.
 */
#define _GNU_SOURCE /* memmem */
#include "wippy_internal.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

#define WP_MAXCAPTURES 32
#define WP_MAXCHOICES 199 /* Lua allows 200 nested matcher calls: the attempt itself and 199 choice points */
#define WP_UNFINISHED (-1)
#define WP_POSITION (-2)
#define WP_NONE ((size_t)-1)
#define WP_INLINE_BUFFER 512
#define WP_DEFAULT_TICK_LIMIT (1u << 20) /* about 10^9 steps */

#define WP_SLOT_STATE 5
#define WP_SLOT_CHOICES 6
#define WP_SLOT_BUFFER 7
#define WP_SLOTS 7

enum { WP_FAIL, WP_FOUND, WP_SUSPEND };
enum { WP_FIND, WP_MATCH, WP_GMATCH, WP_GSUB };
enum { WP_GREEDY, WP_LAZY, WP_OPTIONAL, WP_OPENED, WP_CLOSED };
enum { WP_MATCHING, WP_CALLING };

/* A point to come back to when the rest of the pattern fails. Offsets: `s` in the subject, `p`/`ep` in the
   pattern. Greedy: `n` characters still matched after `s`, the rest of the pattern at `p`. Lazy: the item is
   the class at `p` ending at `ep`, matched up to `s`. Optional: retry at `s` without the item, pattern at `p`.
   Closed: `n` is the index of the capture closed. */
typedef struct wp_choice {
    size_t s, n, p, ep;
    int kind;
} wp_choice;

typedef struct wp_capture {
    size_t init;
    ptrdiff_t len; /* or WP_UNFINISHED / WP_POSITION */
} wp_capture;

typedef struct wp_state {
    const unsigned char *src, *pat;
    size_t slen, plen;
    size_t pbegin;    /* pattern offset after an anchor */
    size_t start;     /* subject offset of the current attempt */
    size_t s, p;      /* where the current attempt goes on */
    size_t e;         /* end of the last successful attempt */
    size_t lastmatch; /* gmatch/gsub: end of the previous match (WP_NONE: none yet) */
    wp_choice *choices;
    int depth, level;
    int op, anchor, boxed, choices_boxed;
    int phase, repl, changed; /* gsub */
    int32_t fuel;             /* steps left before the next tick */
    uint32_t ticks;           /* ticks used by this call */
    lua_Integer n, max_n;     /* gsub: replacements made, allowed */
    struct {
        char *data;
        size_t len, cap;
        int boxed;
    } buf;
    wp_capture cap[WP_MAXCAPTURES];
} wp_state;

static _Thread_local uint32_t wp_tick_limit = WP_DEFAULT_TICK_LIMIT;

void wippy_set_pattern_step_limit(uint64_t steps) {
    uint64_t ticks = steps / WIPPY_NATIVE_TICK_STEPS;
    if (steps == 0) ticks = WP_DEFAULT_TICK_LIMIT;
    if (ticks == 0) ticks = 1;
    if (ticks > 0x7fffffff) ticks = 0x7fffffff;
    wp_tick_limit = (uint32_t)ticks;
}

/* ---------------------------------------------------------------- character classes */

/* Classes by character, one bit per class letter, taken from <ctype.h> once (as Lua's matcher asks it). */
enum {
    WP_ALPHA = 1 << 0, WP_CNTRL = 1 << 1, WP_DIGIT = 1 << 2, WP_GRAPH = 1 << 3, WP_LOWER = 1 << 4,
    WP_PUNCT = 1 << 5, WP_SPACE = 1 << 6, WP_UPPER = 1 << 7, WP_ALNUM = 1 << 8, WP_XDIGIT = 1 << 9,
    WP_NUL = 1 << 10,
};
static uint16_t wp_classes_of[256];
static uint16_t wp_class_of_letter[256];
static pthread_once_t wp_classes_once = PTHREAD_ONCE_INIT;

static void wp_build_classes(void) {
    for (int c = 0; c < 256; c++) {
        wp_classes_of[c] = (uint16_t)((isalpha(c) ? WP_ALPHA : 0) | (iscntrl(c) ? WP_CNTRL : 0) |
                                      (isdigit(c) ? WP_DIGIT : 0) | (isgraph(c) ? WP_GRAPH : 0) |
                                      (islower(c) ? WP_LOWER : 0) | (ispunct(c) ? WP_PUNCT : 0) |
                                      (isspace(c) ? WP_SPACE : 0) | (isupper(c) ? WP_UPPER : 0) |
                                      (isalnum(c) ? WP_ALNUM : 0) | (isxdigit(c) ? WP_XDIGIT : 0) |
                                      (c == 0 ? WP_NUL : 0));
    }
    static const struct { char letter; uint16_t bit; } letters[] = {
        {'a', WP_ALPHA}, {'c', WP_CNTRL}, {'d', WP_DIGIT}, {'g', WP_GRAPH}, {'l', WP_LOWER}, {'p', WP_PUNCT},
        {'s', WP_SPACE}, {'u', WP_UPPER}, {'w', WP_ALNUM}, {'x', WP_XDIGIT}, {'z', WP_NUL},
    };
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++) {
        wp_class_of_letter[(unsigned char)letters[i].letter] = letters[i].bit;
        wp_class_of_letter[(unsigned char)toupper(letters[i].letter)] = letters[i].bit;
    }
}

/* `c` against the class letter `cl` of "%cl" (upper case: the complement; 'z', deprecated, is NUL); any
   other character after '%' stands for itself. */
static inline int wp_class(int c, int cl) {
    unsigned bit = wp_class_of_letter[cl];
    if (bit == 0) return cl == c;
    int hit = (wp_classes_of[c] & bit) != 0;
    return (cl & 0x20) ? hit : !hit;
}

/* `c` against the set "[...]" that opens at `p` and closes at `close`. */
static int wp_set(int c, const unsigned char *pat, size_t p, size_t close) {
    int inside = 1;
    p++;
    if (pat[p] == '^') {
        inside = 0;
        p++;
    }
    for (; p < close; p++) {
        if (pat[p] == '%') {
            p++;
            if (wp_class(c, pat[p])) return inside;
        } else if (p + 2 < close && pat[p + 1] == '-') {
            if (pat[p] <= c && c <= pat[p + 2]) return inside;
            p += 2;
        } else if (pat[p] == c) {
            return inside;
        }
    }
    return !inside;
}

/* Offset just past the single-character class at `p`; raises for a malformed one. */
static size_t wp_class_end_slow(lua_State *L, const unsigned char *pat, size_t plen, size_t p) {
    unsigned char c = pat[p++];
    if (c == '%') {
        if (p >= plen) luaL_error(L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < plen && pat[p] == '^') p++;
        do { /* the first character always belongs to the set, even a ']' */
            if (p >= plen) luaL_error(L, "malformed pattern (missing ']')");
            c = pat[p++];
            if (c == '%' && p < plen) p++;
        } while (p >= plen || pat[p] != ']');
        return p + 1;
    }
    return p;
}

static inline size_t wp_class_end(lua_State *L, const unsigned char *pat, size_t plen, size_t p) {
    unsigned char c = pat[p];
    return (c == '%' || c == '[') ? wp_class_end_slow(L, pat, plen, p) : p + 1;
}

static inline int wp_single(const unsigned char *pat, size_t p, size_t ep, int c) {
    switch (pat[p]) {
    case '.': return 1;
    case '%': return wp_class(c, pat[p + 1]);
    case '[': return wp_set(c, pat, p, ep - 1);
    default: return pat[p] == c;
    }
}

/* ---------------------------------------------------------------- the matcher */

static void wp_begin(wp_state *ms, size_t start) {
    ms->start = ms->s = start;
    ms->p = ms->pbegin;
    ms->level = 0;
    ms->depth = 0;
}

static void wp_too_complex(lua_State *L) { luaL_error(L, "pattern too complex"); }

/* Charges the work done since the last tick (fuel is 0 or below: one tick plus what long scans overdrew).
   Returns the fuel to go on with, or 0 when the caller must stop and yield. */
static int32_t wp_refuel(lua_State *L, wp_state *ms, int32_t fuel) {
    uint32_t ticks = 1 + (uint32_t)(-(int64_t)fuel / WIPPY_NATIVE_TICK_STEPS);
    ms->ticks += ticks;
    if (ms->ticks > wp_tick_limit)
        luaL_error(L, "pattern too complex (gave up after %d million steps: the pattern backtracks too much "
                      "on this subject)",
                   (int)(((uint64_t)wp_tick_limit * WIPPY_NATIVE_TICK_STEPS + 500000) / 1000000));
    ms->fuel = WIPPY_NATIVE_TICK_STEPS;
    return wippy_native_tick(L, (int)ticks) ? 0 : WIPPY_NATIVE_TICK_STEPS;
}

/* Cost of scanning `n` characters in a tight loop, in steps. */
static inline int32_t wp_scan_cost(size_t n) { return n > ((size_t)1 << 28) ? (1 << 25) : (int32_t)(n >> 3); }

#define WP_PUSH_CHECK()                                                                                        \
    do {                                                                                                       \
        if (depth >= WP_MAXCHOICES) wp_too_complex(L);                                                         \
    } while (0)

/* Runs (or goes on with) the attempt that began at ms->start. WP_FOUND leaves the end in ms->e. */
static int wp_attempt(lua_State *L, wp_state *ms) {
    const unsigned char *src = ms->src, *pat = ms->pat;
    const size_t slen = ms->slen, plen = ms->plen;
    wp_choice *ch = ms->choices;
    size_t s = ms->s, p = ms->p;
    int depth = ms->depth;
    int32_t fuel = ms->fuel;
    for (;;) {
        if (--fuel <= 0) {
            ms->s = s;
            ms->p = p;
            ms->depth = depth;
            fuel = wp_refuel(L, ms, fuel);
            if (fuel == 0) return WP_SUSPEND;
        }
        if (p >= plen) {
            ms->e = s;
            ms->depth = depth;
            ms->fuel = fuel;
            return WP_FOUND;
        }
        switch (pat[p]) {
        case '(': {
            if (ms->level >= WP_MAXCAPTURES) luaL_error(L, "too many captures");
            wp_capture *c = &ms->cap[ms->level++];
            c->init = s;
            if (p + 1 < plen && pat[p + 1] == ')') {
                c->len = WP_POSITION;
                p += 2;
            } else {
                c->len = WP_UNFINISHED;
                p += 1;
            }
            WP_PUSH_CHECK();
            ch[depth++].kind = WP_OPENED;
            continue;
        }
        case ')': {
            int l = ms->level - 1;
            while (l >= 0 && ms->cap[l].len != WP_UNFINISHED) l--;
            if (l < 0) luaL_error(L, "invalid pattern capture");
            ms->cap[l].len = (ptrdiff_t)(s - ms->cap[l].init);
            WP_PUSH_CHECK();
            ch[depth].kind = WP_CLOSED;
            ch[depth++].n = (size_t)l;
            p++;
            continue;
        }
        case '$':
            if (p + 1 == plen) { /* anchor at the end; elsewhere a plain '$' */
                if (s != slen) goto fail;
                p++;
                continue;
            }
            break;
        case '%': {
            unsigned char next = p + 1 < plen ? pat[p + 1] : 0;
            if (next == 'b') {
                if (p + 3 >= plen) luaL_error(L, "malformed pattern (missing arguments to '%%b')");
                if (s >= slen || src[s] != pat[p + 2]) goto fail;
                unsigned char open = pat[p + 2], close = pat[p + 3];
                size_t i = s + 1, nesting = 1;
                for (; i < slen; i++) {
                    if (src[i] == close) {
                        if (--nesting == 0) break;
                    } else if (src[i] == open) {
                        nesting++;
                    }
                }
                fuel -= wp_scan_cost(i - s);
                if (i >= slen) goto fail;
                s = i + 1;
                p += 4;
                continue;
            }
            if (next == 'f') {
                p += 2;
                if (p >= plen || pat[p] != '[') luaL_error(L, "missing '[' after '%%f' in pattern");
                size_t ep = wp_class_end(L, pat, plen, p);
                int before = s == 0 ? 0 : src[s - 1];
                int here = s < slen ? src[s] : 0;
                if (wp_set(before, pat, p, ep - 1) || !wp_set(here, pat, p, ep - 1)) goto fail;
                p = ep;
                continue;
            }
            if (next >= '0' && next <= '9') {
                int l = next - '1';
                if (l < 0 || l >= ms->level || ms->cap[l].len == WP_UNFINISHED)
                    luaL_error(L, "invalid capture index %%%d", l + 1);
                ptrdiff_t len = ms->cap[l].len;
                if (len < 0 || slen - s < (size_t)len || memcmp(src + ms->cap[l].init, src + s, (size_t)len) != 0)
                    goto fail;
                fuel -= wp_scan_cost((size_t)len);
                s += (size_t)len;
                p += 2;
                continue;
            }
            break;
        }
        default:
            break;
        }
        /* a single-character class, perhaps quantified */
        {
            size_t ep = wp_class_end(L, pat, plen, p);
            int quantifier = ep < plen ? pat[ep] : 0;
            if (s >= slen || !wp_single(pat, p, ep, src[s])) {
                if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
                    p = ep + 1;
                    continue;
                }
                goto fail;
            }
            switch (quantifier) {
            case '?':
                WP_PUSH_CHECK();
                ch[depth].kind = WP_OPTIONAL;
                ch[depth].s = s;
                ch[depth++].p = ep + 1;
                s++;
                p = ep + 1;
                continue;
            case '+':
            case '*': {
                size_t base = quantifier == '+' ? s + 1 : s, n = 0;
                while (base + n < slen && wp_single(pat, p, ep, src[base + n])) n++;
                fuel -= wp_scan_cost(n);
                WP_PUSH_CHECK();
                ch[depth].kind = WP_GREEDY;
                ch[depth].s = base;
                ch[depth].n = n;
                ch[depth++].p = ep + 1;
                s = base + n;
                p = ep + 1;
                continue;
            }
            case '-':
                WP_PUSH_CHECK();
                ch[depth].kind = WP_LAZY;
                ch[depth].s = s;
                ch[depth].p = p;
                ch[depth++].ep = ep;
                p = ep + 1;
                continue;
            default:
                s++;
                p = ep;
                continue;
            }
        }
    fail:
        for (;;) {
            if (depth == 0) {
                ms->depth = 0;
                ms->fuel = fuel;
                return WP_FAIL;
            }
            wp_choice *c = &ch[depth - 1];
            switch (c->kind) {
            case WP_GREEDY:
                if (c->n == 0) {
                    depth--;
                    continue;
                }
                c->n--;
                s = c->s + c->n;
                p = c->p;
                goto resume;
            case WP_LAZY:
                if (c->s < slen && wp_single(pat, c->p, c->ep, src[c->s])) {
                    s = ++c->s;
                    p = c->ep + 1;
                    goto resume;
                }
                depth--;
                continue;
            case WP_OPTIONAL:
                s = c->s;
                p = c->p;
                depth--;
                goto resume;
            case WP_OPENED:
                ms->level--;
                depth--;
                continue;
            default:
                ms->cap[c->n].len = WP_UNFINISHED;
                depth--;
                continue;
            }
        }
    resume:;
    }
}

/* ---------------------------------------------------------------- captures */

static void wp_push_capture(lua_State *L, const wp_state *ms, int i) {
    if (i >= ms->level) {
        if (i != 0) luaL_error(L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(L, (const char *)ms->src + ms->start, ms->e - ms->start);
        return;
    }
    ptrdiff_t len = ms->cap[i].len;
    if (len == WP_UNFINISHED) luaL_error(L, "unfinished capture");
    if (len == WP_POSITION)
        lua_pushinteger(L, (lua_Integer)ms->cap[i].init + 1);
    else
        lua_pushlstring(L, (const char *)ms->src + ms->cap[i].init, (size_t)len);
}

/* Pushes the captures of the last match (with `whole`, the whole match when the pattern has none). */
static int wp_push_captures(lua_State *L, const wp_state *ms, int whole) {
    int n = (ms->level == 0 && whole) ? 1 : ms->level;
    luaL_checkstack(L, n, "too many captures");
    for (int i = 0; i < n; i++) wp_push_capture(L, ms, i);
    return n;
}

/* ---------------------------------------------------------------- state across yields */

/* Moves the result buffer into userdata (it may start in the caller's C frame). */
static void wp_buffer_grow(lua_State *L, wp_state *ms, size_t extra) {
    size_t want = ms->buf.len + extra;
    if (want < extra) luaL_error(L, "resulting string too large");
    size_t cap = ms->buf.cap * 2;
    if (cap < want) cap = want;
    if (cap < 256) cap = 256;
    char *box = (char *)lua_newuserdatauv(L, cap, 0);
    if (ms->buf.len > 0) memcpy(box, ms->buf.data, ms->buf.len);
    lua_replace(L, WP_SLOT_BUFFER);
    ms->buf.data = box;
    ms->buf.cap = cap;
    ms->buf.boxed = 1;
}

static inline void wp_buffer_add(lua_State *L, wp_state *ms, const void *data, size_t len) {
    if (ms->buf.cap - ms->buf.len < len) wp_buffer_grow(L, ms, len);
    if (len > 0) memcpy(ms->buf.data + ms->buf.len, data, len);
    ms->buf.len += len;
}

static inline void wp_buffer_add_char(lua_State *L, wp_state *ms, char c) {
    if (ms->buf.len == ms->buf.cap) wp_buffer_grow(L, ms, 1);
    ms->buf.data[ms->buf.len++] = c;
}

/* Makes the state (and, with `choices`, its choice stack) live in userdata, so it survives the C frame. */
static wp_state *wp_box(lua_State *L, wp_state *ms, int choices) {
    /* find, match and gmatch make their slots only now (gsub has them from the start) */
    if (lua_gettop(L) < WP_SLOTS) lua_settop(L, WP_SLOTS);
    if (!ms->boxed) {
        /* gsub's buffer, still in the C frame, moves into the same userdata */
        size_t room = 0;
        if (ms->op == WP_GSUB && !ms->buf.boxed) room = ms->buf.len < 128 ? 256 : ms->buf.len * 2;
        wp_state *box = (wp_state *)lua_newuserdatauv(L, sizeof *box + room, 0);
        memcpy(box, ms, sizeof *box);
        box->boxed = 1;
        if (room > 0) {
            box->buf.data = (char *)(box + 1);
            box->buf.cap = room;
            box->buf.boxed = 1;
            if (ms->buf.len > 0) memcpy(box->buf.data, ms->buf.data, ms->buf.len);
        }
        lua_replace(L, WP_SLOT_STATE);
        ms = box;
    }
    if (ms->op == WP_GSUB && !ms->buf.boxed) wp_buffer_grow(L, ms, 0);
    if (choices && !ms->choices_boxed) {
        wp_choice *box = (wp_choice *)lua_newuserdatauv(L, sizeof(wp_choice) * WP_MAXCHOICES, 0);
        memcpy(box, ms->choices, sizeof(wp_choice) * (size_t)ms->depth);
        lua_replace(L, WP_SLOT_CHOICES);
        ms->choices = box;
        ms->choices_boxed = 1;
    }
    return ms;
}

/* In a continuation: the boxed state; an unboxed choice stack (empty then) lives in `local`. */
static wp_state *wp_unbox(lua_State *L, wp_choice *local) {
    wp_state *ms = (wp_state *)lua_touserdata(L, WP_SLOT_STATE);
    if (!ms->choices_boxed) ms->choices = local;
    return ms;
}

static void wp_prepare(wp_state *ms, int op, const char *s, size_t slen, const char *p, size_t plen,
                       wp_choice *choices) {
    ms->src = (const unsigned char *)s;
    ms->slen = slen;
    ms->pat = (const unsigned char *)p;
    ms->plen = plen;
    ms->anchor = op != WP_GMATCH && plen > 0 && p[0] == '^';
    ms->pbegin = ms->anchor ? 1 : 0;
    ms->op = op;
    ms->choices = choices;
    ms->boxed = ms->choices_boxed = 0;
    ms->fuel = WIPPY_NATIVE_TICK_STEPS;
    ms->ticks = 0;
    ms->lastmatch = WP_NONE;
    ms->phase = WP_MATCHING;
    ms->changed = 0;
    ms->n = 0;
    ms->buf.data = NULL;
    ms->buf.len = ms->buf.cap = 0;
    ms->buf.boxed = 0;
}

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
    pthread_once(&wp_classes_once, wp_build_classes);
    static const luaL_Reg functions[] = {
        {"find", wp_find}, {"match", wp_match}, {"gmatch", wp_gmatch_new}, {"gsub", wp_gsub}, {NULL, NULL},
    };
    table = lua_absindex(L, table);
    for (const luaL_Reg *f = functions; f->name != NULL; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, table, f->name);
    }
}
