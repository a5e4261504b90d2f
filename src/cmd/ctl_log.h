/* xroadctl log: the row both table sources produce (SQLite in ctl_log.c,
 * DynamoDB in ctl_log_dynamodb.c); ctl_log.c prints them all. */
#ifndef XR_CTL_LOG_H
#define XR_CTL_LOG_H

#include <stdbool.h>
#include <stddef.h>

struct xr_ctl_log_row {
	char run[40];
	long long round;
	long long car;
	char approach[4];
	char turn[12];
	long long index;
	long long crossed_ms;
	bool after_deadlock;
};

/* ctl_log_dynamodb.c: the newest `top` crossings of `run` into rows[0..cap),
 * *n of them, newest first, and `where` names the table. 0, or 1 or 2 (the
 * exit code) after one line on stderr. */
int xr_ctl_log_dynamodb(const char *run, unsigned long top,
			struct xr_ctl_log_row *rows, size_t cap, size_t *n,
			char *where, size_t where_len);

#endif
