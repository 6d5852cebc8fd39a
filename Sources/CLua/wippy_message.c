/*
 * CLua: the accessors of message objects (`msg:topic()`, `msg:from()`), called for nearly every message a
 * process receives. They only read a user value of the message userdata, so they are plain C functions:
 * no trampoline, no Swift frame, nothing that needs the runtime.
 *
 * A message is a tagged userdata (the runtime's UserdataTag: the first four bytes of the block hold the tag,
 * the payload starts after an 8-byte header) with user values 1 = topic, 2 = sender PID text,
 * 3 = payload values. The tag is the closure's upvalue, so it is defined in one place (Swift).
 */
#include "wippy_internal.h"

#include <string.h>

/* Raises "bad argument #1 to '...' (message expected, got ...)" when the value at 1 is not a message. */
static void wippy_check_message(lua_State *L) {
    if (wippy_tagged_block(L, 1, (uint32_t)lua_tointeger(L, lua_upvalueindex(1))) != NULL) return;
    const char *got = lua_type(L, 1) == LUA_TNONE ? "no value" : luaL_typename(L, 1);
    luaL_argerror(L, 1, lua_pushfstring(L, "message expected, got %s", got));
}

static int wippy_message_topic(lua_State *L) {
    wippy_check_message(L);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static int wippy_message_from(lua_State *L) {
    wippy_check_message(L);
    lua_getiuservalue(L, 1, 2);
    return 1;
}

void *wippy_tagged_block(lua_State *L, int idx, uint32_t tag) {
    /* light userdata has no length: the length test also rules it out */
    unsigned char *block = lua_touserdata(L, idx);
    if (block == NULL || lua_rawlen(L, idx) < 8) return NULL;
    uint32_t found;
    memcpy(&found, block, sizeof found);
    return found == tag ? block : NULL;
}

void wippy_push_message_accessor(lua_State *L, int which, uint32_t tag) {
    lua_pushinteger(L, (lua_Integer)tag);
    lua_pushcclosure(L, which == 1 ? wippy_message_topic : wippy_message_from, 1);
}
