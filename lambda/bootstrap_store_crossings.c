/* The store_crossings Lambda's bootstrap (provided.al2023): the runtime
 * loop around xr_lambda_store_crossings. */
#include "handlers.h"
#include "runtime.h"

int main(void)
{
	return xr_lambda_runtime_main("store_crossings",
				      xr_lambda_store_crossings);
}
