/*
 * CLua: trampolines, coroutine wrappers and protected helpers.
 * See include/wippy_lua.h for why these live in C.
 */
#include "wippy_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- natives */

/* A constant address used as the value of a system yield; user code cannot make light userdata. */
static char wippy_marker_storage;

void *wippy_system_marker(void) { return &wippy_marker_storage; }

_Thread_local int wippy_parked WIPPY_TLS;
_Thread_local int wippy_ghosts WIPPY_TLS;

int wippy_is_system_yield(lua_State *co, int nres) {
    if (nres == 0 && wippy_parked) {
        /* a receive that blocked in C (see wippy_resume_task) */
        wippy_parked = 0;
        return 1;
    }
    return nres == 1 && lua_type(co, -1) == LUA_TLIGHTUSERDATA && lua_touserdata(co, -1) == &wippy_marker_storage;
}

int wippy_resume_task(lua_State *L, int nargs, int *nres) { return wippy_resume_task_inline(L, nargs, nres); }

int wippy_run_native(lua_State *L, wippy_native fn) {
    /* Swift code must find the process states it would find without the ghost switch */
    if (__builtin_expect(wippy_ghosts, 0)) wippy_mailboxes_settle_ghosts();
    /* While the Swift function runs, no allocation may fail: Lua's memory error would longjmp across it. */
    int may_fail = wippy_may_fail;
    wippy_may_fail = 0;
    int n = fn(L);
    wippy_may_fail = may_fail;
    /* The Swift frame has returned: raising or yielding from here is safe. */
    if (n >= 0) return n;
    if (n == WIPPY_NATIVE_ERROR) return lua_error(L);
    lua_pushlightuserdata(L, &wippy_marker_storage);
    return lua_yield(L, 1);
}

static int wippy_trampoline(lua_State *L) {
    return wippy_run_native(L, (wippy_native)lua_touserdata(L, lua_upvalueindex(1)));
}

void wippy_push_native(lua_State *L, wippy_native fn, int nup) {
    lua_pushlightuserdata(L, (void *)fn);
    if (nup > 0) lua_insert(L, -(nup + 1));
    lua_pushcclosure(L, wippy_trampoline, nup + 1);
}

/* ---------------------------------------------------------------- coroutines */

/*
 * In a Wippy process a blocking call made inside a user coroutine suspends the whole task. A native's
 * system yield (or a preemption) inside coroutine `co` therefore travels outward: resume sees it and
 * yields its own thread with the marker; when the scheduler resumes that thread with results, the
 * continuation passes them into `co` and resumes it again.
 *
 * While `co` is suspended on behalf of its resumer, the marker stays on top of its stack, so any other
 * attempt to resume it is refused as "non-suspended".
 */

static int wippy_is_task_thread(lua_State *co) {
    uintptr_t value;
    memcpy(&value, lua_getextraspace(co), sizeof value);
    return (value & WIPPY_TASK_TAG) != 0;
}

/* Gives `co` the extra space of `L` without the task mark: it acts for L's task but is not a task thread. */
static void wippy_inherit_extraspace(lua_State *co, lua_State *L) {
    uintptr_t value;
    memcpy(&value, lua_getextraspace(L), sizeof value);
    value &= ~WIPPY_TASK_TAG;
    memcpy(lua_getextraspace(co), &value, sizeof value);
}

static const char *wippy_check_resumable(lua_State *L, lua_State *co, int narg) {
    if (co == L) return "cannot resume non-suspended coroutine";
    if (wippy_is_task_thread(co)) return "cannot resume non-suspended coroutine";
    switch (lua_status(co)) {
    case LUA_YIELD:
        if (lua_gettop(co) > 0 && lua_type(co, -1) == LUA_TLIGHTUSERDATA &&
            lua_touserdata(co, -1) == &wippy_marker_storage)
            return "cannot resume non-suspended coroutine";
        break;
    case LUA_OK: {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar)) return "cannot resume non-suspended coroutine";
        if (lua_gettop(co) == 0) return "cannot resume dead coroutine";
        break;
    }
    default:
        return "cannot resume dead coroutine";
    }
    if (!lua_checkstack(co, narg)) return "too many arguments to resume";
    return NULL;
}

/* Resumes `co` with the top `narg` values of L. Returns the number of results now on top of L, or -1 with
   the error object on top of L. System yields and preemptions are passed outward by yielding L with
   continuation `k` (lua_yieldk never returns here). */
static int wippy_resume_loop(lua_State *L, lua_State *co, int narg, lua_KContext ctx, lua_KFunction k) {
    int nres = 0;
    lua_xmove(L, co, narg);
    for (;;) {
        /* A coroutine runs on behalf of whoever resumes it: natives inside it find the resumer's task, never
           a task that made the coroutine and may be gone. */
        wippy_inherit_extraspace(co, L);
        lua_State *running = wippy_running;
        wippy_running = co;
        int status = lua_resume(co, L, narg, &nres);
        wippy_running = running;
        if (wippy_is_doomed(L)) {
            /* The process is doomed (perhaps while inside co): L's next instruction goes on with it. */
            wippy_arm(L);
            if (status == LUA_YIELD && !wippy_is_system_yield(co, nres) && !lua_isyieldable(L)) {
                lua_pop(co, nres);
                lua_pushstring(L, wippy_doom_text);
                return -1;
            }
        }
        if (status == LUA_YIELD) {
            if (wippy_is_system_yield(co, nres)) {
                /* leave the marker on co: it is busy until the continuation resumes it */
                lua_pushlightuserdata(L, &wippy_marker_storage);
                return lua_yieldk(L, 1, ctx, k);
            }
            if (nres == 0 && wippy_preempted) {
                if (lua_isyieldable(L)) {
                    lua_pushlightuserdata(co, &wippy_marker_storage);
                    return lua_yieldk(L, 0, ctx, k);
                }
                /* cannot pass it on from here: keep running the coroutine, for a bounded time */
                wippy_preempted = 0;
                if (wippy_native_tick(L, 1)) return wippy_raise_doom(L);
                narg = 0;
                continue;
            }
        }
        if (status == LUA_OK || status == LUA_YIELD) {
            if (!lua_checkstack(L, nres + 1)) {
                lua_pop(co, nres);
                lua_pushliteral(L, "too many results to resume");
                return -1;
            }
            lua_xmove(co, L, nres);
            return nres;
        }
        lua_xmove(co, L, 1); /* the error object */
        return -1;
    }
}

/* After a passed-on yield: drop the marker from co, then resume it with what L was resumed with. */
static int wippy_resume_again(lua_State *L, lua_State *co, int narg, lua_KContext ctx, lua_KFunction k) {
    lua_pop(co, 1);
    if (!lua_checkstack(co, narg)) {
        lua_pop(L, narg);
        lua_pushliteral(L, "too many arguments to resume");
        return -1;
    }
    return wippy_resume_loop(L, co, narg, ctx, k);
}

static int wippy_co_resume_finish(lua_State *L, int r) {
    if (r < 0) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, -(r + 1));
    return r + 1;
}

/* coroutine.resume keeps `co` at stack index 1 */
static int wippy_co_resume_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    lua_State *co = lua_tothread(L, 1);
    int narg = lua_gettop(L) - 1;
    return wippy_co_resume_finish(L, wippy_resume_again(L, co, narg, ctx, wippy_co_resume_k));
}

int wippy_co_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    int narg = lua_gettop(L) - 1;
    const char *problem = wippy_check_resumable(L, co, narg);
    if (problem != NULL) {
        lua_pushboolean(L, 0);
        lua_pushstring(L, problem);
        return 2;
    }
    return wippy_co_resume_finish(L, wippy_resume_loop(L, co, narg, 0, wippy_co_resume_k));
}

static int wippy_co_wrap_finish(lua_State *L, int r) {
    if (r >= 0) return r;
    if (lua_type(L, -1) == LUA_TSTRING) { /* add position information, as Lua's wrap does */
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* a wrap function keeps `co` as its upvalue and nothing on its stack */
static int wippy_co_wrap_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    return wippy_co_wrap_finish(L, wippy_resume_again(L, co, lua_gettop(L), ctx, wippy_co_wrap_k));
}

static int wippy_co_wrap_call(lua_State *L) {
    lua_State *co = lua_tothread(L, lua_upvalueindex(1));
    int narg = lua_gettop(L);
    const char *problem = wippy_check_resumable(L, co, narg);
    if (problem != NULL) {
        lua_pushstring(L, problem);
        return wippy_co_wrap_finish(L, -1);
    }
    return wippy_co_wrap_finish(L, wippy_resume_loop(L, co, narg, 0, wippy_co_wrap_k));
}

/* Lua 5.4 copies a new thread's extra space from the main thread; Wippy threads inherit their creator's
   (the task that owns them), so natives called inside a user coroutine still find their process. */
static lua_State *wippy_newthread_inheriting(lua_State *L) {
    lua_State *co = lua_newthread(L);
    wippy_inherit_extraspace(co, L);
    return co;
}

int wippy_co_create(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = wippy_newthread_inheriting(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    return 1;
}

/* coroutine.status: a coroutine suspended only because a native inside it is waiting on the scheduler is,
   from Lua's point of view, still active ("normal"). */
int wippy_co_status(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    if (L == co) {
        lua_pushliteral(L, "running");
        return 1;
    }
    switch (lua_status(co)) {
    case LUA_YIELD:
        if (lua_gettop(co) > 0 && lua_type(co, -1) == LUA_TLIGHTUSERDATA &&
            lua_touserdata(co, -1) == &wippy_marker_storage)
            lua_pushliteral(L, "normal");
        else
            lua_pushliteral(L, "suspended");
        return 1;
    case LUA_OK: {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar))
            lua_pushliteral(L, "normal");
        else if (lua_gettop(co) == 0)
            lua_pushliteral(L, "dead");
        else
            lua_pushliteral(L, "suspended");
        return 1;
    }
    default:
        lua_pushliteral(L, "dead");
        return 1;
    }
}

int wippy_co_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = wippy_newthread_inheriting(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wippy_co_wrap_call, 1);
    return 1;
}

/* ---------------------------------------------------------------- protected helpers */

static int wippy_tostring_body(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* Protected calls catch every error above them, so allocations inside may fail even when Swift called. */
static int wippy_pcall_may_fail(lua_State *L, int nargs, int nresults) {
    int may_fail = wippy_may_fail;
    wippy_may_fail = 1;
    int status;
    if (wippy_running == NULL && wippy_calling == NULL && wippy_slice_self != NULL) {
        status = wippy_pcall_timed(L, nargs, nresults);
    } else {
        status = lua_pcall(L, nargs, nresults, 0);
    }
    wippy_may_fail = may_fail;
    return status;
}

int wippy_protected_tostring(lua_State *L, int idx) {
    idx = lua_absindex(L, idx);
    lua_pushcfunction(L, wippy_tostring_body);
    lua_pushvalue(L, idx);
    return wippy_pcall_may_fail(L, 1, 1);
}

int wippy_pcall(lua_State *L, int nargs, int nresults) {
    return wippy_pcall_may_fail(L, nargs, nresults);
}

/* ---------------------------------------------------------------- libraries and helpers */

void wippy_open_standard_libraries(lua_State *L) {
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},         {LUA_TABLIBNAME, luaopen_table}, {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math},   {LUA_COLIBNAME, luaopen_coroutine}, {LUA_OSLIBNAME, luaopen_os},
        {LUA_UTF8LIBNAME, luaopen_utf8},   {NULL, NULL},
    };
    for (const luaL_Reg *lib = libs; lib->func != NULL; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
}

int wippy_gc(lua_State *L, int what, int arg) {
    switch (what) {
    case LUA_GCSTEP:
    case LUA_GCSETPAUSE:
    case LUA_GCSETSTEPMUL:
        return lua_gc(L, what, arg);
    case LUA_GCGEN:
        return lua_gc(L, what, arg, 0);
    case LUA_GCINC:
        return lua_gc(L, what, 0, 0, 0);
    default:
        return lua_gc(L, what);
    }
}

int wippy_gc_generational(lua_State *L, int minormul, int majormul) {
    return lua_gc(L, LUA_GCGEN, minormul, majormul);
}

void wippy_push_argerror(lua_State *L, int arg, const char *extramsg) {
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar)) {
        lua_pushfstring(L, "bad argument #%d (%s)", arg, extramsg);
        return;
    }
    lua_getinfo(L, "n", &ar);
    if (ar.namewhat != NULL && strcmp(ar.namewhat, "method") == 0) {
        arg--;
        if (arg == 0) {
            luaL_where(L, 1);
            lua_pushfstring(L, "calling '%s' on bad self (%s)", ar.name ? ar.name : "?", extramsg);
            lua_concat(L, 2);
            return;
        }
    }
    luaL_where(L, 1);
    lua_pushfstring(L, "bad argument #%d to '%s' (%s)", arg, ar.name ? ar.name : "?", extramsg);
    lua_concat(L, 2);
}

void wippy_push_where(lua_State *L, int level) { luaL_where(L, level); }

int wippy_load(lua_State *L, const char *buffer, size_t size, const char *name, const char *mode) {
    return luaL_loadbufferx(L, buffer, size, name, mode);
}

/* Looks for a table named _ENV among the active locals, then the upvalues, of the function at `ar`. */
static int wippy_push_env_of_frame(lua_State *L, lua_Debug *ar) {
    const char *name;
    int found = 0;
    for (int i = 1; (name = lua_getlocal(L, ar, i)) != NULL; i++) {
        /* the innermost active binding wins: keep the last one */
        if (strcmp(name, "_ENV") == 0 && lua_type(L, -1) == LUA_TTABLE) {
            if (found) lua_remove(L, -2);
            found = 1;
        } else {
            lua_pop(L, 1);
        }
    }
    if (found) return 1;
    if (!lua_getinfo(L, "f", ar)) return 0;
    for (int i = 1; (name = lua_getupvalue(L, -1, i)) != NULL; i++) {
        if (strcmp(name, "_ENV") == 0 && lua_type(L, -1) == LUA_TTABLE) {
            lua_remove(L, -2);
            return 1;
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

int wippy_push_caller_env(lua_State *L, int level) {
    lua_Debug ar;
    for (; lua_getstack(L, level, &ar); level++) {
        if (!lua_checkstack(L, 3)) return 0;
        if (wippy_push_env_of_frame(L, &ar)) return level;
    }
    return 0;
}

void wippy_push_stack_frames(lua_State *L, int level, int max) {
    lua_Debug ar;
    int count = 0;
    lua_newtable(L);
    while (count < max && lua_getstack(L, level + count, &ar)) {
        lua_getinfo(L, "Sln", &ar);
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, level + count);
        lua_setfield(L, -2, "level");
        lua_pushstring(L, ar.short_src);
        lua_setfield(L, -2, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, -2, "line");
        lua_pushstring(L, ar.name != NULL ? ar.name : "");
        lua_setfield(L, -2, "name");
        lua_pushstring(L, ar.what);
        lua_setfield(L, -2, "type");
        count++;
        lua_rawseti(L, -2, count);
    }
}
