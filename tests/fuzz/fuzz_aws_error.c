/* Fuzz target: the body of an AWS error answer (JSON or XML), as the client
 * reads its error code and message from it. */
#include <stdint.h>
#include <string.h>

#include "aws_client.h"
#include "aws_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xr_http_resp r;
	char code[128], msg[512];
	xr_http_resp_init(&r);
	r.status = 400;
	if (xr_buf_add(&r.body, data, size) != 0) {
		xr_http_resp_free(&r);
		return 0;
	}
	xr_aws_error_code(&r, code, sizeof code, msg, sizeof msg);
	xr_http_resp_free(&r);
	return 0;
}
