/* emu_scan RUN EXPECTED: counts the crossings table's items of RUN in the
 * DynamoDB emulator (a Scan; the table is keyed by (run, round, car), so the
 * count is the number of distinct crossings) and exits 0 when it is
 * EXPECTED. Run by test-e2e under harness.js. */
#include <errno.h>

#include "emu_util.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: emu_scan RUN EXPECTED\n");
		return 2;
	}
	char *end;
	errno = 0;
	long want = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || want < 0) {
		fprintf(stderr, "emu_scan: EXPECTED must be a count\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int n = scan_count(argv[1]);
	printf("emu_scan: run %s: %d crossings in the table, want %ld\n",
	       argv[1], n, want);
	CHECK(n == want, "table count");
	return finish("emu_scan");
}
