/* Limits and checks of the crossing record JSON shared by both backends and
 * the Lambda handlers (docs/CLOUD.md "Crossing record JSON"). */
#ifndef XR_CLOUD_JSON_H
#define XR_CLOUD_JSON_H

#include <stddef.h>

#include "cloud.h"

/* A valid record encodes to about 200 bytes; anything far larger is not a
 * record and is refused before it is parsed. */
#define XR_CROSSING_JSON_MAX 4096
/* Integers above 2^53 do not survive a JSON number (a double) exactly. */
#define XR_JSON_INT_MAX 9007199254740991ULL

/* 1 if `run` is a usable run id: 1..XR_RUN_MAX-1 chars of [A-Za-z0-9._:-]. */
int xr_cloud_run_valid(const char *run);

/* 0 if every field of `r` is in range, else XR_ERANGE and a message naming
 * the field in `err` (may be NULL). */
int xr_crossing_record_check(const struct xr_crossing_record *r, char *err,
			     size_t err_len);

#endif
