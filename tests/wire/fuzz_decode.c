/* libFuzzer entry point for the wire decoder: any bytes in, never a crash,
 * and whatever decodes must re-encode to bytes that decode to the same
 * struct (the codec's round-trip promise), and must describe without
 * overflowing. Built as a libFuzzer binary (fuzz_decode) when the compiler
 * is clang; fuzz_decode_main.c drives the same function over a seeded corpus
 * in the ordinary test run with any compiler.
 *   build-clang/tests/fuzz_decode -max_total_time=60 corpus/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "describe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xr_msg m, again;
	static uint8_t buf[XR_MSG_MAX_BYTES];
	static char text[XR_DESCRIBE_MAX];
	size_t len;

	if (xr_msg_decode(data, size, &m, NULL, 0) != 0)
		return 0;
	if (xr_msg_encode(&m, buf, sizeof buf, &len) != 0)
		abort(); /* decoded but would not encode */
	if (xr_msg_decode(buf, len, &again, NULL, 0) != 0)
		abort();
	if (memcmp(&m, &again, sizeof m) != 0)
		abort();
	if (xr_msg_describe(&m, text, sizeof text) >= sizeof text)
		abort();
	return 0;
}
