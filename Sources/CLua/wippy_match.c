/*
 * CLua: the pattern matcher (Lua 5.4 patterns, reference manual §6.4.1) behind wippy_pattern.c: character
 * classes, one attempt at a subject position with an explicit stack of choice points, captures, and moving
 * a state into userdata so that it survives a yield.
 */
#include "wippy_match.h"

#include <ctype.h>
#include <pthread.h>
#include <string.h>

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
int wp_attempt(lua_State *L, wp_state *ms) {
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

void wp_push_capture(lua_State *L, const wp_state *ms, int i) {
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
int wp_push_captures(lua_State *L, const wp_state *ms, int whole) {
    int n = (ms->level == 0 && whole) ? 1 : ms->level;
    luaL_checkstack(L, n, "too many captures");
    for (int i = 0; i < n; i++) wp_push_capture(L, ms, i);
    return n;
}
/* ---------------------------------------------------------------- state across yields */

/* Moves the result buffer into userdata (it may start in the caller's C frame). */
void wp_buffer_grow(lua_State *L, wp_state *ms, size_t extra) {
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
/* Makes the state (and, with `choices`, its choice stack) live in userdata, so it survives the C frame. */
wp_state *wp_box(lua_State *L, wp_state *ms, int choices) {
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
wp_state *wp_unbox(lua_State *L, wp_choice *local) {
    wp_state *ms = (wp_state *)lua_touserdata(L, WP_SLOT_STATE);
    if (!ms->choices_boxed) ms->choices = local;
    return ms;
}


void wp_init_classes(void) { pthread_once(&wp_classes_once, wp_build_classes); }
