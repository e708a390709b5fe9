/* Settings only tests use, read from ferryd's environment (FERRY_TEST_*):
 * delays that widen a race window so that a test meets it every time.
 * Each one set is logged as a warning, so a log shows a ferryd that runs
 * with one. */
#ifndef FERRY_CORE_TEST_SETTING_H
#define FERRY_CORE_TEST_SETTING_H

/* The milliseconds name is set to (0 when unset or empty); when set,
 * logs "name=N: effect (a test setting)". */
unsigned test_setting_ms(const char *name, const char *effect);

#endif
