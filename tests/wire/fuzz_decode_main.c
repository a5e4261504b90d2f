/* Runs fuzz_decode.c's entry point without libFuzzer: every sample message,
 * every prefix of it, and seeded mutations of each (bit flips, byte
 * overwrites, insertions), so the fuzz target's checks run in every build. */
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "samples.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(void)
{
	static uint8_t enc[XR_MSG_MAX_BYTES], mut[XR_MSG_MAX_BYTES + 8];
	unsigned runs = 0;

	for (int t = XR_MSG_NONE + 1; t < XR_MSG_TYPES; t++) {
		for (int full = 0; full < 2; full++) {
			struct xr_msg m;
			size_t len;
			sample_msg((enum xr_msg_type)t, full, &m);
			if (xr_msg_encode(&m, enc, sizeof enc, &len) != 0)
				return 1;
			for (size_t cut = 0; cut <= len; cut++, runs++)
				LLVMFuzzerTestOneInput(enc, cut);
			for (int k = 0; k < 3000; k++, runs++) {
				size_t n = len;
				memcpy(mut, enc, len);
				int edits = 1 + (int)(next() % 4);
				for (int e = 0; e < edits; e++) {
					size_t at = (size_t)(next() % n);
					switch (next() % 3) {
					case 0:
						mut[at] ^= (uint8_t)(1u << (next() % 8));
						break;
					case 1:
						mut[at] = (uint8_t)next();
						break;
					default:
						if (n < sizeof mut) {
							memmove(mut + at + 1, mut + at, n - at);
							mut[at] = (uint8_t)next();
							n++;
						}
					}
				}
				LLVMFuzzerTestOneInput(mut, n);
			}
		}
	}
	printf("fuzz_decode_main: %u inputs ok\n", runs);
	return 0;
}
