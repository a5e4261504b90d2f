/* Fuzz target: the JSON the two Lambdas are handed: an invoke payload (a
 * crossing record) and an SQS event, through the real handlers and the
 * embedded cloud (SQLite under a temporary directory). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud.h"
#include "handlers.h"

static struct xr_cloud cloud;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready) {
		char dir[] = "/tmp/xroad-fuzz-lambda-XXXXXX";
		if (mkdtemp(dir) == NULL ||
		    xr_cloud_open_embedded(&cloud, dir) != 0)
			abort(); /* the harness itself is broken */
		ready = 1;
	}
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct xr_crossing_record rec;
	char err[256];
	xr_crossing_record_from_json(text, &rec, err, sizeof err);
	char *result = NULL;
	xr_lambda_report_crossing(&cloud, text, &result);
	free(result);
	result = NULL;
	xr_lambda_store_crossings(&cloud, text, &result);
	free(result);
	free(text);
	return 0;
}
