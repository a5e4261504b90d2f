/* The report_crossing Lambda's bootstrap (provided.al2023): the runtime
 * loop around xr_lambda_report_crossing. */
#include "handlers.h"
#include "runtime.h"

int main(void)
{
	return xr_lambda_runtime_main("report_crossing",
				      xr_lambda_report_crossing);
}
