/* xroadctl log: the rows both table sources (SQLite, DynamoDB) produce, and
 * the one printer they share. */
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

/* Prints rows (newest first) as a table or as {"source":..., "crossings":[...]}. */
void xr_ctl_log_print(const char *source, const struct xr_ctl_log_row *rows,
		      size_t n, bool json);

/* ctl_log_dynamodb.c: the newest `top` crossings of `run`. */
int xr_ctl_log_dynamodb(const char *run, unsigned long top, bool json);

#endif
