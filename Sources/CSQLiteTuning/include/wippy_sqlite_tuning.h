#ifndef WIPPY_SQLITE_TUNING_H
#define WIPPY_SQLITE_TUNING_H

/// Process-wide SQLite settings that must be made before SQLite initialises (before the first connection
/// opens). Swift cannot call `sqlite3_config`, a C variadic function, so this does it. Returns 0 when the
/// settings took effect, SQLite's error code when SQLite was initialised already (nothing changed then).
int wippy_sqlite_tune(void);

#endif
