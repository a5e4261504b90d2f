/* Fuzz target: bytes from the network -> xr_msg_decode -> xr_node_step on a
 * light and on a car of a four-car cluster. Whatever the bytes, decoding
 * either refuses them or yields a message the core accepts or refuses
 * cleanly; nothing crashes or reads out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "node.h"

static void config(struct xr_node_config *cfg, uint32_t self)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->self = self;
	cfg->light = 0;
	cfg->n_cars = 4;
	for (uint32_t c = 0; c < 4; c++) {
		cfg->cars[c] = c + 1;
		cfg->approaches[c] = (enum xr_approach)c;
	}
	if (self == 0) {
		cfg->n_neighbours = 4;
		for (uint32_t c = 0; c < 4; c++)
			cfg->neighbours[c] = c + 1;
	} else {
		cfg->n_neighbours = 1;
	}
	cfg->seed = 1;
	cfg->weights[1] = 1;
	cfg->cross_ms = 10;
	cfg->resend_ms = 50;
	cfg->stall_ms = 500;
	cfg->rounds = self == 0 ? 3 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xr_node light, car;
	static struct xr_msg m;
	struct xr_node_config cfg;
	if (xr_msg_decode(data, size, &m, NULL, 0) != 0)
		return 0;
	config(&cfg, 0);
	xr_node_init(&light, &cfg, NULL);
	struct xr_event start = {.type = XR_EV_START, .now_ms = 1};
	xr_node_step(&light, &start);
	config(&cfg, 1);
	xr_node_init(&car, &cfg, NULL);
	xr_node_step(&car, &start);
	/* As the message claims to be addressed, and as if to each node. */
	struct xr_event ev = {.type = XR_EV_RECEIVE, .now_ms = 2, .msg = &m};
	xr_node_step(&light, &ev);
	xr_node_step(&car, &ev);
	m.to = 0;
	xr_node_step(&light, &ev);
	m.to = 1;
	xr_node_step(&car, &ev);
	/* Whatever got through must encode again. */
	uint8_t out[XR_MSG_MAX_BYTES];
	size_t len;
	for (uint32_t i = 0; i < light.out.n_msgs; i++)
		xr_msg_encode(&light.out.msgs[i], out, sizeof out, &len);
	return 0;
}
