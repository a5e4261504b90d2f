/* The embedded backend's own knobs, beyond the common cloud interface: the
 * demo's table printout and the hooks the tests use to drive time. */
#ifndef XR_EMBEDDED_H
#define XR_EMBEDDED_H

#include <stdint.h>
#include <stdio.h>

#include "cloud.h"

/* Name of the database inside the state directory. */
#define XR_EMBEDDED_DB "xroad.db"

/* Defaults, each overridable from the environment (docs/CLOUD.md):
 * XROAD_EMBEDDED_VISIBILITY_MS, XROAD_EMBEDDED_MAX_RECEIVES,
 * XROAD_EMBEDDED_SYNC (normal | full). */
#define XR_EMBEDDED_VISIBILITY_MS 30000  /* SQS's default visibility timeout */
#define XR_EMBEDDED_MAX_RECEIVES 10      /* then the message is dead-lettered */
#define XR_EMBEDDED_FETCH_MAX (1u << 20) /* routes files are tiny */
#define XR_EMBEDDED_BODY_MAX (256u * 1024) /* SQS's maximum message size */

/* Replaces the wall clock the queue uses for visibility deadlines (tests).
 * `now_ms` NULL restores the wall clock. `c` must be an embedded backend. */
int xr_emb_set_clock(struct xr_cloud *c, uint64_t (*now_ms)(void *arg),
		     void *arg);
/* Visibility window of received messages, in ms (0: visible again at once). */
int xr_emb_set_visibility(struct xr_cloud *c, uint32_t ms);
/* Receives after which a message is moved to queue_dead (0: never). */
int xr_emb_set_max_receives(struct xr_cloud *c, uint32_t n);

/* Prints the crossings of `run` (NULL: every run) in the database at
 * `db_path`, ordered by run, round and index, then a count line. Opens the
 * database read-only. Returns the number of rows printed, or a negative XR_E*
 * code after writing a one-line error to stderr. */
int xr_emb_print_crossings(const char *db_path, const char *run, FILE *out);

#endif
