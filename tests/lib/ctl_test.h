/* Talking to a test ferryd's control plane: requests through the ctl
 * client, metric values out of a /metrics page, and promtool's check. */
#ifndef FERRY_TESTS_CTL_TEST_H
#define FERRY_TESTS_CTL_TEST_H

#include <pthread.h>
#include <stdbool.h>

#include "ctl/client.h"
#include "lib/ferryd_proc.h"

/* Sends a request (asserts it got an HTTP reply); with_token adds the
 * server's bearer token.  Free *out with ctl_http_reply_free. */
void ctlt_request(const struct ferryd_proc *p, const char *method, const char *path,
		  bool with_token, const char *body, struct ctl_http_reply *out);

/* POST /api/v1/upgrade (asserts 200), then waits for the old ferryd to
 * exit with status 0 (this process becomes a subreaper: the new ferryd is
 * the old one's child); p->pid is the new one's afterwards. */
void ctlt_upgrade(struct ferryd_proc *p);
/* The same to binary (NULL: the one ferryd was started from). */
void ctlt_upgrade_to(struct ferryd_proc *p, const char *binary);
/* The same on a thread of its own, while the test goes on (a delegation
 * recalled meanwhile, a change made during the hand-over): begin starts
 * it, end waits for it and asserts in the caller's thread. */
struct ctlt_upgrade {
	pthread_t thread;
	struct ferryd_proc *p;
	const char *binary;
	int rc;
	pid_t fresh;
	char err[1024];
};
void ctlt_upgrade_begin(struct ctlt_upgrade *u, struct ferryd_proc *p, const char *binary);
void ctlt_upgrade_end(struct ctlt_upgrade *u);

/* An upgrade to binary that must fail (a ferryd that gives up, say):
 * asserts the refusal ("serves on") and that the same ferryd runs on. */
void ctlt_upgrade_refused(struct ferryd_proc *p, const char *binary);

/* GET /metrics (asserts 200); free() the text. */
char *ctlt_scrape(const struct ferryd_proc *p);

/* The value of one series, written exactly as in the page
 * ("ferry_sequence_errors_total{kind=\"badslot\"}"); -1 when absent. */
double ctlt_metric(const char *page, const char *series);

/* One series read from a fresh scrape (asserts it is there). */
double ctlt_metric_now(const struct ferryd_proc *p, const char *series);

/* Runs `promtool check metrics` on the page when promtool was found at
 * configure time; true when it passes or cannot run. Prints its output. */
bool ctlt_promtool_ok(const char *page);

#endif
