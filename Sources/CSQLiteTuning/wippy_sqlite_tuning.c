#include <sqlite3.h>
#include "wippy_sqlite_tuning.h"

int wippy_sqlite_tune(void) {
    /* Memory statistics (sqlite3_memory_used and friends, which the runtime never reads) make every
       allocation and free inside SQLite take a process-wide mutex: about 40 lock/unlock pairs per journal
       step of the workflow writer under callgrind. SQLite's own documentation recommends turning them off
       where they are not used. */
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
