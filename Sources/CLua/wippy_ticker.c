/*
 * CLua: the slice ticker of timed preemption (see wippy_lua.h, "Preemption", and wippy_internal.h).
 *
 * One thread per process looks at every registered worker thread each WIPPY_TICK_NANOS. A worker publishes
 * (slice serial << 1) | running; when the ticker finds it running with the serial it had at the previous
 * look, its slice has lasted at least one period, and the ticker signals it with WIPPY_TICK_SIGNAL. The
 * handler runs on the worker thread, the only thread that ever touches that worker's lua_State: it checks
 * that the signal is about the slice running now and arms the running thread's count hook.
 *
 * The ticker sleeps once no worker has run Lua for WIPPY_TICKER_IDLE_TICKS looks; the next slice that starts
 * wakes it. Its wait is bounded, so a wake-up lost to the unsynchronised flag only delays one preemption.
 */
#include "wippy_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

/* SIGURG: ignored by default, and nothing else here uses out-of-band socket data (Go's runtime picked it for
   the same job). */
#define WIPPY_TICK_SIGNAL SIGURG
#define WIPPY_TICKER_IDLE_TICKS 50
#define WIPPY_TICKER_SLEEP_NANOS 100000000L

_Thread_local wippy_slice *wippy_slice_self WIPPY_TLS = NULL;
_Atomic int wippy_ticker_asleep = 0;

static pthread_mutex_t wippy_ticker_lock = PTHREAD_MUTEX_INITIALIZER; /* the list, and the ticker's sleep */
static pthread_cond_t wippy_ticker_wakeup = PTHREAD_COND_INITIALIZER;
static wippy_slice *wippy_ticker_list = NULL;
static pthread_once_t wippy_ticker_once = PTHREAD_ONCE_INIT;
static pthread_key_t wippy_ticker_key;
static int wippy_ticker_started = 0;

/* The handler's own record of the slice it was first signalled about, and this thread's CPU time then. */
static _Thread_local uint64_t wippy_signalled_word WIPPY_TLS = 0;
static _Thread_local int64_t wippy_signalled_cpu WIPPY_TLS = 0;

static int64_t wippy_thread_cpu(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0) return INT64_MAX / 2;
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void wippy_ticker_handler(int sig) {
    (void)sig;
    int saved = errno;
    wippy_slice *slice = wippy_slice_self;
    if (slice != NULL) {
        uint64_t word = wippy_slice_word(slice);
        /* about the slice running now (not one that ended since the ticker looked) */
        if ((word & 1) && atomic_load_explicit(&slice->request, memory_order_relaxed) == word) {
            /* A slice overruns once it has also used a period of this thread's CPU time since the first
               signal about it: a worker that merely waited for a core on a loaded machine (wall time passed,
               little work done) is not preempted for it. */
            int64_t cpu = wippy_thread_cpu();
            if ((word >> 1) != (wippy_signalled_word >> 1)) {
                wippy_signalled_word = word;
                wippy_signalled_cpu = cpu;
            } else if (cpu - wippy_signalled_cpu >= WIPPY_TICK_NANOS) {
                wippy_overrun_signalled();
            }
        }
    }
    errno = saved;
}

/* A thread that ends leaves the list before it is gone: the ticker signals only listed threads, under the
   lock. */
static void wippy_ticker_unregister(void *value) {
    wippy_slice *slice = value;
    wippy_slice_self = NULL;
    pthread_mutex_lock(&wippy_ticker_lock);
    for (wippy_slice **at = &wippy_ticker_list; *at != NULL; at = &(*at)->next) {
        if (*at == slice) {
            *at = slice->next;
            break;
        }
    }
    pthread_mutex_unlock(&wippy_ticker_lock);
    free(slice);
}

static void wippy_ticker_sleep(long nanos) {
    struct timespec t = { nanos / 1000000000L, nanos % 1000000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

/* Looks at every listed thread once; returns whether one was running Lua. Under the lock. */
static int wippy_ticker_look(void) {
    int running = 0;
    for (wippy_slice *slice = wippy_ticker_list; slice != NULL; slice = slice->next) {
        uint64_t word = wippy_slice_word(slice);
        if (word & 1) {
            running = 1;
            /* same serial as at the last look (running or not then): the slice has lasted a period */
            if ((word >> 1) == (slice->seen >> 1)) {
                atomic_store_explicit(&slice->request, word, memory_order_relaxed);
                pthread_kill(slice->thread, WIPPY_TICK_SIGNAL);
            }
        }
        slice->seen = word;
    }
    return running;
}

static void *wippy_ticker_main(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL); /* process signals (SIGTERM) go to the threads that handle them */
    int idle = 0;
    for (;;) {
        pthread_mutex_lock(&wippy_ticker_lock);
        if (wippy_ticker_look()) {
            idle = 0;
        } else if (++idle >= WIPPY_TICKER_IDLE_TICKS) {
            atomic_store(&wippy_ticker_asleep, 1);
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += WIPPY_TICKER_SLEEP_NANOS;
            if (until.tv_nsec >= 1000000000L) {
                until.tv_sec += 1;
                until.tv_nsec -= 1000000000L;
            }
            int woken = 0;
            while (!(woken = !atomic_load(&wippy_ticker_asleep))) {
                if (pthread_cond_timedwait(&wippy_ticker_wakeup, &wippy_ticker_lock, &until) == ETIMEDOUT) break;
            }
            atomic_store(&wippy_ticker_asleep, 0);
            /* woken by a slice: look every period again; after a timeout one look, then back to sleep if
               still idle (an idle runtime wakes the ticker about ten times a second) */
            idle = woken ? 0 : WIPPY_TICKER_IDLE_TICKS - 1;
        }
        pthread_mutex_unlock(&wippy_ticker_lock);
        wippy_ticker_sleep(WIPPY_TICK_NANOS);
    }
    return NULL;
}

void wippy_ticker_wake(void) {
    pthread_mutex_lock(&wippy_ticker_lock);
    atomic_store(&wippy_ticker_asleep, 0);
    pthread_cond_signal(&wippy_ticker_wakeup);
    pthread_mutex_unlock(&wippy_ticker_lock);
}

static void wippy_ticker_setup(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = wippy_ticker_handler;
    action.sa_flags = SA_RESTART; /* a system call the signal interrupts goes on */
    sigfillset(&action.sa_mask);
    sigaction(WIPPY_TICK_SIGNAL, &action, NULL);
    pthread_key_create(&wippy_ticker_key, wippy_ticker_unregister);
}

void wippy_ticker_register(void) {
    if (wippy_slice_self != NULL) return;
    pthread_once(&wippy_ticker_once, wippy_ticker_setup);
    wippy_slice *slice = calloc(1, sizeof *slice);
    if (slice == NULL) return; /* no memory: this thread runs without preemption rather than not at all */
    slice->thread = pthread_self();
    /* the thread may have been made with every signal blocked (for a signal-handling thread elsewhere) */
    sigset_t tick;
    sigemptyset(&tick);
    sigaddset(&tick, WIPPY_TICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &tick, NULL);
    pthread_setspecific(wippy_ticker_key, slice);
    pthread_mutex_lock(&wippy_ticker_lock);
    slice->next = wippy_ticker_list;
    wippy_ticker_list = slice;
    int start = !wippy_ticker_started;
    wippy_ticker_started = 1;
    pthread_mutex_unlock(&wippy_ticker_lock);
    wippy_slice_self = slice;
    if (start) {
        pthread_t ticker;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attributes, 64 * 1024);
        if (pthread_create(&ticker, &attributes, wippy_ticker_main, NULL) != 0) {
            pthread_mutex_lock(&wippy_ticker_lock);
            wippy_ticker_started = 0;
            pthread_mutex_unlock(&wippy_ticker_lock);
        }
        pthread_attr_destroy(&attributes);
    }
}
