/*
 * CLua: the accessors of message objects (`msg:topic()`, `msg:from()`), called for nearly every message a
 * process receives. They only read a user value of the message userdata, so they are plain C functions:
 * no trampoline, no Swift frame, nothing that needs the runtime.
 *
 * A message is a tagged userdata (the runtime's UserdataTag: the first four bytes of the block hold the tag,
 * the payload starts after an 8-byte header) with user values 1 = topic, 2 = sender PID text,
 * 3 = payload values. The tag is given by the runtime (Swift), so it is defined in one place.
 *
 * The sender's PID text may be left unformatted (a message from a sender the receiving worker has not seen
 * before, e.g. a one-shot child reporting to its parent: most receivers of those never ask): the block is
 * then 24 bytes, with a non-zero word at 12 and the PID's counter at 16, and user value 2 holds the text up
 * to the counter (`{node@host|`). `msg:from()` completes it once and keeps the result in user value 2.
 */
#include "wippy_internal.h"

#include <stdatomic.h>
#include <string.h>

/* The tag of message objects: one value for the whole program (the runtime's), kept here rather than in an
   upvalue because reading an upvalue through the C API costs more than the rest of `msg:topic()`. Every state
   stores the same value (atomic only so that those stores are not a race). */
static _Atomic uint32_t wippy_message_tag;

/* The block of the tagged userdata at idx and its length (wippy_tagged_block, keeping the length it read). */
static unsigned char *wippy_tagged_block_len(lua_State *L, int idx, uint32_t tag, size_t *len) {
    /* light userdata has no length: the length test also rules it out */
    unsigned char *block = lua_touserdata(L, idx);
    if (block == NULL || (*len = lua_rawlen(L, idx)) < 8) return NULL;
    uint32_t found;
    memcpy(&found, block, sizeof found);
    return found == tag ? block : NULL;
}

/* The block of the message at 1 and its length; raises "bad argument #1 to '...' (message expected, got
   ...)" when the value there is not a message. */
static unsigned char *wippy_check_message(lua_State *L, size_t *len) {
    unsigned char *block =
        wippy_tagged_block_len(L, 1, atomic_load_explicit(&wippy_message_tag, memory_order_relaxed), len);
    if (block != NULL) return block;
    const char *got = lua_type(L, 1) == LUA_TNONE ? "no value" : luaL_typename(L, 1);
    luaL_argerror(L, 1, lua_pushfstring(L, "message expected, got %s", got));
    return NULL;
}

/* The sender's text of a message whose block says it was left unformatted: the prefix on top of L, then the
   counter as the runtime writes it (`0x`, lowercase hex, at least five digits) and `}`. */
static void wippy_complete_sender(lua_State *L, unsigned char *block) {
    uint64_t uniq;
    memcpy(&uniq, block + 16, sizeof uniq);
    char text[2 + 16 + 1];
    char digits[16];
    int count = 0;
    do {
        digits[count++] = "0123456789abcdef"[uniq & 15];
        uniq >>= 4;
    } while (uniq != 0);
    while (count < 5) digits[count++] = '0';
    size_t len = 0;
    text[len++] = '0';
    text[len++] = 'x';
    while (count > 0) text[len++] = digits[--count];
    text[len++] = '}';
    lua_pushlstring(L, text, len);
    lua_concat(L, 2);
    lua_pushvalue(L, -1);
    lua_setiuservalue(L, 1, 2);
    memset(block + 12, 0, 4);
}

static int wippy_message_topic(lua_State *L) {
    size_t len;
    wippy_check_message(L, &len);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

/* Pushes the sender of the message at 1 (its block of `len` bytes), formatting it first if it was left as a
   prefix and a counter. */
static int wippy_push_sender(lua_State *L, unsigned char *block, size_t len) {
    lua_getiuservalue(L, 1, 2);
    if (len >= 24) {
        int32_t unformatted;
        memcpy(&unformatted, block + 12, sizeof unformatted);
        if (unformatted != 0) wippy_complete_sender(L, block);
    }
    return 1;
}

static int wippy_message_from(lua_State *L) {
    size_t len;
    unsigned char *block = wippy_check_message(L, &len);
    return wippy_push_sender(L, block, len);
}

void *wippy_tagged_block(lua_State *L, int idx, uint32_t tag) {
    size_t len;
    return wippy_tagged_block_len(L, idx, tag, &len);
}

/* `__wippy_topic(msg, what)` and `__wippy_from(msg, what)`: what the translator made of `msg:topic()` and
   `msg:from()` on a local it proved holds a message or nil (what a receive on the inbox gives). A nil (or
   anything but a message) raises what the method call raised: "attempt to index a nil value (local 'msg')",
   `what` being the variable as Lua names it, at the caller's line. */
static unsigned char *wippy_message_or_index_error(lua_State *L, size_t *len) {
    unsigned char *block =
        wippy_tagged_block_len(L, 1, atomic_load_explicit(&wippy_message_tag, memory_order_relaxed), len);
    if (block != NULL) return block;
    const char *what = lua_tostring(L, 2);
    luaL_error(L, "attempt to index a %s value (%s)", luaL_typename(L, 1), what != NULL ? what : "?");
    return NULL;
}

static int wippy_message_topic_of(lua_State *L) {
    size_t len;
    wippy_message_or_index_error(L, &len);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int wippy_message_from_of(lua_State *L) {
    size_t len;
    unsigned char *block = wippy_message_or_index_error(L, &len);
    return wippy_push_sender(L, block, len);
}

void wippy_push_message_function(lua_State *L, int which, uint32_t tag) {
    atomic_store_explicit(&wippy_message_tag, tag, memory_order_relaxed);
    lua_pushcfunction(L, which == 1 ? wippy_message_topic_of : wippy_message_from_of);
}

void wippy_push_message_accessor(lua_State *L, int which, uint32_t tag) {
    atomic_store_explicit(&wippy_message_tag, tag, memory_order_relaxed);
    lua_pushcfunction(L, which == 1 ? wippy_message_topic : wippy_message_from);
}
