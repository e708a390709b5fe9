#include <stdlib.h>

#include "core/log.h"
#include "core/test_setting.h"

unsigned test_setting_ms(const char *name, const char *effect)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	unsigned ms = (unsigned)strtoul(v, NULL, 10);
	log_warn("%s=%u: %s (a test setting)", name, ms, effect);
	return ms;
}
