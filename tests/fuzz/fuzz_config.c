/* Fuzz target: a cluster configuration file (docs/CONFIG.md), then every
 * node's core configuration derived from it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xr_cluster c;
	char err[512];
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (xr_cluster_parse(text, "fuzz.conf", "/nonexistent", &c, err,
			     sizeof err) == 0) {
		struct xr_node_config cfg;
		for (uint32_t id = 0; id < c.n_nodes; id++)
			xr_cluster_node_config(&c, id, &cfg, err, sizeof err);
	}
	free(text);
	return 0;
}
