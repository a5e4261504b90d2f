/* See ctl_trace_shiviz.h. The clocks are the merge's (ctl_trace_merge.h);
 * this only writes them. */
#include "ctl_trace_shiviz.h"

#include <inttypes.h>

void xr_trace_shiviz_write(const struct xr_trace_merge *m, FILE *o)
{
	fprintf(o, "%s\n\n", XR_SHIVIZ_REGEX);
	for (size_t i = 0; i < m->n_ev; i++) {
		const struct xr_tm_event *e = &m->ev[i];
		const uint32_t *c = &m->clocks[i * m->n_nodes];
		/* The record text has no newline (one line per record is
		 * the trace text's contract), so it cannot break the pair. */
		fprintf(o, "@%" PRIu64 " %s\nn%u {", e->now_ms, e->text,
			e->node);
		bool first = true;
		for (uint32_t k = 0; k < m->n_nodes; k++) {
			if (c[k] == 0)
				continue;
			fprintf(o, "%s\"n%u\":%u", first ? "" : ",", k, c[k]);
			first = false;
		}
		fputs("}\n", o);
	}
}
