/* `xroadctl trace --svg`: the space-time diagram of a merged run. One
 * horizontal line per node (the light on top), time running right; an
 * arrow per message from its send to its receive, coloured by what it is
 * (waves, overrides, probes, crossings, Blocked reports, the rest); the
 * cars' time in the box as bars, deadlocks declared as diamonds, round
 * starts as dashed verticals, and shaded the intervals in which the cars'
 * own wait-for edges (the Blocked reports they sent) form a cycle. */
#ifndef XR_CTL_TRACE_SVG_H
#define XR_CTL_TRACE_SVG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ctl_trace_merge.h"

/* More arrows than this make a 1200-unit-wide picture a solid smear, and
 * the file megabytes: the picture is cut at the message that exceeds it and
 * says so. */
#define XR_TRACE_SVG_MAX_MESSAGES 1500u

struct xr_trace_svg_opts {
	/* The window drawn, in ms after the run's first record: [from, to];
	 * has_to false: to the end. */
	uint64_t from_ms, to_ms;
	bool has_to;
	size_t max_messages; /* 0: XR_TRACE_SVG_MAX_MESSAGES */
};

/* 0, or -1 when the window holds no record (nothing written; `why` says
 * where the run's records are). */
int xr_trace_svg_write(const struct xr_trace_merge *m,
		       const struct xr_trace_svg_opts *opt, FILE *o, char *why,
		       size_t why_len);

#endif
