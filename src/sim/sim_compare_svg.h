/* `xroad-sim --compare-light --svg FILE`: the delay distributions of both
 * systems as one picture. Each is an empirical cumulative distribution:
 * at delay x, the share of vehicles that lost at most x. The delay axis is
 * logarithmic: xroad's delays are about ten times the fixed light's, and a
 * linear axis squeezes one of the two curves into a corner. Each curve
 * marks its p50 and p99; the legend gives mean, p50, p99 and max as the
 * text output does. */
#ifndef XR_SIM_COMPARE_SVG_H
#define XR_SIM_COMPARE_SVG_H

#include <stddef.h>
#include <stdint.h>

#include "sim_compare.h"

/* xroad[0..sx->n) and fixed[0..sf->n) sorted ascending (as
 * sim_delay_summarise leaves them). Writes c->svg; 0, or -1 with the reason
 * (naming the file) in `why`. */
int sim_compare_svg_write(const struct sim_compare_config *c,
			  const uint64_t *xroad,
			  const struct sim_delay_summary *sx,
			  const uint64_t *fixed,
			  const struct sim_delay_summary *sf, char *why,
			  size_t why_len);

#endif
