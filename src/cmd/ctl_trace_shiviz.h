/* `xroadctl trace --shiviz`: a merged run in the log format ShiViz reads
 * (https://github.com/DistributedClocks/shiviz), GoVector's: the parser
 * regular expression on the first line, an empty line (no delimiter between
 * executions), then per record an event line and a clock line:
 *   @4461355 recv 3->0 Blocked r1 seen=0 overrides=0 waits=[4]
 *   n0 {"n0":17,"n3":5}
 * The clock lists the nodes whose entry is not zero, its own always. */
#ifndef XR_CTL_TRACE_SHIVIZ_H
#define XR_CTL_TRACE_SHIVIZ_H

#include <stdio.h>

#include "ctl_trace_merge.h"

/* The regular expression of the first line, for ShiViz's parser box. */
#define XR_SHIVIZ_REGEX "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})"

void xr_trace_shiviz_write(const struct xr_trace_merge *m, FILE *o);

#endif
