/* Fuzz target: a trace file (length-delimited TraceRecords) read to the end
 * or to its first bad record. */
#include <stdint.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xr_trace_reader *r = NULL;
	static struct xr_trace_rec rec;
	if (xr_trace_reader_open_mem(data, size, "fuzz.trace", &r) != 0)
		return 0;
	for (int i = 0; i < 100000 && xr_trace_next(r, &rec) == 1; i++)
		;
	(void)xr_trace_reader_error(r);
	xr_trace_reader_close(r);
	return 0;
}
