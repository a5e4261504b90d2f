/* Fuzz target: a routes file ("turn weight" lines). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t weights[XR_TURNS];
	char err[512];
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	xr_routes_parse(text, "fuzz.routes", weights, err, sizeof err);
	free(text);
	return 0;
}
