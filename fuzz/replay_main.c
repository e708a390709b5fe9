/* Runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer:
 * the ordinary (gcc, and ASan+UBSan) test builds link each fuzz/fuzz_*.c
 * with this main, and ctest replays the seed corpus and the regression
 * inputs (fuzz/corpus/<name>/, fuzz/regressions/<name>/) through it, so an
 * input that once crashed keeps being tried by every test run.
 *
 *   fuzz_<name> FILE_OR_DIR...
 *
 * A directory means every regular file in it; a missing one is skipped.
 * Exits 0 after running at least one input; a crash is the target's own
 * (trap, sanitizer report). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *bigger = realloc(buf, cap *= 2);
			if (!bigger)
				free(buf);
			buf = bigger;
		}
	}
	fclose(f);
	if (!buf) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		exit(2);
	}
	/* An exact-size copy, so reading past the input is a sanitizer report. */
	uint8_t *input = malloc(len ? len : 1);
	if (!input)
		exit(2);
	memcpy(input, buf, len);
	free(buf);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned run_path(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return 0; /* no regressions for this target yet */
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	char **names = NULL;
	size_t count = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char **more = realloc(names, (count + 1) * sizeof(*names));
		if (!more)
			exit(2);
		names = more;
		names[count] = malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!names[count])
			exit(2);
		sprintf(names[count], "%s/%s", path, de->d_name);
		count++;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), by_name);
	unsigned ran = 0;
	for (size_t i = 0; i < count; i++) {
		struct stat fst;
		if (stat(names[i], &fst) == 0 && S_ISREG(fst.st_mode))
			ran += run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return ran;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	unsigned ran = 0;
	for (int i = 1; i < argc; i++)
		ran += run_path(argv[i]);
	if (ran == 0) {
		fprintf(stderr, "replay: no input found\n");
		return 1;
	}
	fprintf(stderr, "replay: %u inputs, no crash\n", ran);
	return 0;
}
