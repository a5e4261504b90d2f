/* Shared fixtures of the cloud tests: a scratch state directory, sample
 * records, a hand-driven clock, and reading the SQLite files back directly
 * (the tests check the database, not the code's own view of it). */
#ifndef XR_TESTS_CLOUD_FIXTURE_H
#define XR_TESTS_CLOUD_FIXTURE_H

#include <stdint.h>
#include <stdio.h>

#include "cloud.h"

/* mkdtemp under $TMPDIR (or /tmp); the path lives in a static buffer of the
 * caller's choosing. Returns 0 or -1. */
int fx_tempdir(char *out, size_t len, const char *tag);
/* Removes the directory and the database files in it. */
void fx_rmdir(const char *dir);

/* Record number i of run `run`: distinct (round, car) for every i < 30000. */
void fx_record(struct xr_crossing_record *r, const char *run, unsigned i);
/* Its JSON (malloc'ed). */
char *fx_record_json(const char *run, unsigned i);

/* A clock the test moves by hand; pass &fx_clock_ms as the clock arg. */
extern uint64_t fx_clock_ms;
uint64_t fx_clock(void *arg);

/* Runs one integer query on STATE_DIR/xroad.db; -1 on error. */
long long fx_query(const char *dir, const char *sql);
/* Runs one statement that changes STATE_DIR/xroad.db; 0 or -1. */
int fx_exec(const char *dir, const char *sql);
/* count(*) and count(distinct key) of the crossings table. */
void fx_counts(const char *dir, long long *rows, long long *distinct);

#endif
