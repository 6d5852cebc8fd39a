/*
 * CLua (private): the pattern matcher's state and entry points, shared by wippy_match.c (the matcher) and
 * wippy_pattern.c (string.find, match, gmatch and gsub). See wippy_pattern.c for the design.
 */
#ifndef WIPPY_MATCH_H
#define WIPPY_MATCH_H

#include "wippy_internal.h"

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

/* ---- the matcher (wippy_match.c) ---- */

/** Builds the character-class tables (once per process). */
void wp_init_classes(void);
/** Runs (or goes on with) the attempt that began at ms->start: WP_FOUND (end in ms->e), WP_FAIL, or
    WP_SUSPEND (the slice is used up: box the state and yield). Raises for malformed patterns and limits. */
int wp_attempt(lua_State *L, wp_state *ms);
/** Pushes capture `i` of the last match (the whole match for 0 when there are none). */
void wp_push_capture(lua_State *L, const wp_state *ms, int i);
/** Pushes the captures of the last match (with `whole`, the whole match when there are none); their count. */
int wp_push_captures(lua_State *L, const wp_state *ms, int whole);
/** Grows the result buffer by at least `extra` bytes, into userdata (it may start in the caller's C frame). */
void wp_buffer_grow(lua_State *L, wp_state *ms, size_t extra);
/** Makes the state (and, with `choices`, its choice stack) live in userdata in the stack slots. */
wp_state *wp_box(lua_State *L, wp_state *ms, int choices);
/** In a continuation: the boxed state; an unboxed (empty) choice stack then lives in `local`. */
wp_state *wp_unbox(lua_State *L, wp_choice *local);

/** Fills in a state for a call of `op` (no attempt begun). */
static inline void wp_prepare(wp_state *ms, int op, const char *s, size_t slen, const char *p, size_t plen,
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

/** Starts a new attempt at subject offset `start`. */
static inline void wp_begin(wp_state *ms, size_t start) {
    ms->start = ms->s = start;
    ms->p = ms->pbegin;
    ms->level = 0;
    ms->depth = 0;
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

#endif
