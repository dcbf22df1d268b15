/*
 * Fuzzes the INI configuration parser: any input must be either a valid
 * configuration or a "name:line: reason" error, never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct cfg *c = cfg_parse("fuzz.ini", (const char *)data, size, err,
	                          sizeof err);

	if (!c && strncmp(err, "fuzz.ini:", 9) != 0)
		abort(); /* every refusal names the file and line */
	cfg_free(c);
	return 0;
}
