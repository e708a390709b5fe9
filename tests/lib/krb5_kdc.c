#include "lib/krb5_kdc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc/gss/gss_client.h"

static const char krb5_kdc_script[] = FERRY_SOURCE_DIR "/tests/lib/krb5_kdc.sh";

/* Runs `krb5_kdc.sh command dir [arg]`; its exit status, or -1.  Its
 * standard output (the paths and lines a shell user reads) is dropped: the
 * callers here know the paths. */
static int run_script(const char *command, const char *dir, const char *arg)
{
	const char *argv[] = {"bash", krb5_kdc_script, command, dir, arg, NULL};
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		/* The KDC outlives the script: none of the test's descriptors
		 * (its sockets, the pipe ctest reads to its end) may stay
		 * open in it. */
		closefrom(STDERR_FILENO + 1);
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
		}
		execvp("bash", (char *const *)argv);
		perror("bash");
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			return -1;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The realm's environment, as `krb5_kdc.sh env` gives it to shell users. */
static void realm_environment(const struct krb5_kdc *k, bool set)
{
	char kdc_conf[300];
	snprintf(kdc_conf, sizeof(kdc_conf), "%s/kdc.conf", k->dir);
	const char *names[] = {"KRB5_CONFIG", "KRB5_KDC_PROFILE", "KRB5RCACHEDIR"};
	const char *values[] = {k->krb5_conf, kdc_conf, k->dir};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (set) {
			setenv(names[i], values[i], 1);
		} else {
			/* Another realm started since keeps its own. */
			const char *now = getenv(names[i]);
			if (now && strcmp(now, values[i]) == 0)
				unsetenv(names[i]);
		}
	}
}

int krb5_kdc_start(struct krb5_kdc *k)
{
	memset(k, 0, sizeof(*k));
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(k->dir, sizeof(k->dir), "%s/ferry-krb5-XXXXXX", tmp);
	if (!mkdtemp(k->dir)) {
		fprintf(stderr, "krb5_kdc_start: mkdtemp %s: %s\n", k->dir, strerror(errno));
		k->dir[0] = '\0';
		return -1;
	}
	snprintf(k->krb5_conf, sizeof(k->krb5_conf), "%s/krb5.conf", k->dir);
	snprintf(k->keytab, sizeof(k->keytab), "%s/server.keytab", k->dir);

	/* The script's watchdog cleans up after this process should it die
	 * before krb5_kdc_stop. */
	char owner[24];
	snprintf(owner, sizeof(owner), "%ld", (long)getpid());
	setenv("FERRY_TEST_KRB5_OWNER_PID", owner, 1);
	int rc = run_script("start", k->dir, NULL);
	unsetenv("FERRY_TEST_KRB5_OWNER_PID");
	if (rc != 0) {
		fprintf(stderr, "krb5_kdc_start: %s start %s failed (exit status %d)\n",
			krb5_kdc_script, k->dir, rc);
		run_script("stop", k->dir, NULL);
		k->dir[0] = '\0';
		return -1;
	}
	realm_environment(k, true);
	return 0;
}

const char *krb5_kdc_kinit(struct krb5_kdc *k, const char *user, char *ccache, size_t len)
{
	int rc = run_script("kinit", k->dir, user);
	if (rc != 0) {
		fprintf(stderr, "krb5_kdc_kinit: kinit of %s in %s failed (exit status %d)\n", user,
			k->dir, rc);
		return NULL;
	}
	snprintf(ccache, len, "%s/%s.ccache", k->dir, user);
	return ccache;
}

void krb5_kdc_client_keytab(const struct krb5_kdc *k, const char *user, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.keytab", k->dir, user);
}

struct rpc_gss_client *krb5_kdc_initiator(const struct krb5_kdc *k, const char *user)
{
	char keytab[300], err[256] = "";
	krb5_kdc_client_keytab(k, user, keytab, sizeof(keytab));
	struct rpc_gss_client *g =
		rpc_gss_client_new("nfs@localhost", keytab, NULL, user, err, sizeof(err));
	if (!g)
		fprintf(stderr, "krb5_kdc: %s's credentials: %s\n", user, err);
	return g;
}

void krb5_kdc_stop(struct krb5_kdc *k)
{
	if (!k->dir[0])
		return;
	realm_environment(k, false);
	int rc = run_script("stop", k->dir, NULL);
	if (rc != 0)
		fprintf(stderr, "krb5_kdc_stop: %s stop %s failed (exit status %d)\n",
			krb5_kdc_script, k->dir, rc);
	k->dir[0] = '\0';
}
