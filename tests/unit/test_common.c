/* test_common.c -- the shared helpers of patterns/common.h: the error
 * detail, hex digits, base64 both ways, reading a whole file, the
 * monotonic clock, JSON lines and the directories iocsift keeps. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common.h"

static void
test_error_detail(void **state)
{
	struct error_detail err = { 0 };
	char text[ERROR_DETAIL_TEXT_MAX];

	(void)state;
	error_detail_set(&err, "feeds/a.csv", 7, "bad %s", "value");
	assert_string_equal(error_detail_format(&err, text, sizeof(text)),
			    "feeds/a.csv:7: bad value");
	error_detail_set(&err, "feeds/a.csv", 0, "gone");
	assert_string_equal(error_detail_format(&err, text, sizeof(text)),
			    "feeds/a.csv: gone");
	error_detail_set(&err, NULL, 0, "plain");
	assert_string_equal(err.where, "");
	assert_string_equal(error_detail_format(&err, text, sizeof(text)),
			    "plain");
	/* A caller that wants only the return code passes NULL. */
	error_detail_set(NULL, "x", 1, "ignored");
}

static void
test_hex_digit_value(void **state)
{
	static const struct {
		char c;
		int value;
	} cases[] = {
		{ '0', 0 }, { '9', 9 }, { 'a', 10 }, { 'f', 15 }, { 'A', 10 },
		{ 'F', 15 }, { 'g', -1 }, { 'G', -1 }, { '/', -1 }, { ':', -1 },
		{ '@', -1 }, { '`', -1 }, { ' ', -1 }, { '\0', -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (hex_digit_value(cases[i].c) != cases[i].value)
			print_error("case '%c'\n", cases[i].c);
		assert_int_equal(hex_digit_value(cases[i].c), cases[i].value);
	}
}

static void
test_duration(void **state)
{
	(void)state;
	uint64_t s = 0;
	const struct { const char *text; uint64_t seconds; } good[] = {
		{ "24h", 86400 }, { "90m", 5400 }, { "3600", 3600 },
		{ "45s", 45 }, { "7d", 604800 },
	};
	const char *bad[] = { "", "h", "-1h", "0", "1w", "1hh", "1 h",
			      "99999999999999999999", "40000d" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(duration_parse(good[i].text, &s), 0);
		assert_int_equal(s, good[i].seconds);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(duration_parse(bad[i], &s), -EINVAL);
}

static void
test_base64(void **state)
{
	static const struct {
		const char *name, *in;
		bool padding_required;
		int rc;
		const char *out;
	} cases[] = {
		{ "empty", "", true, 0, "" },
		{ "one byte", "Zg==", true, 0, "f" },
		{ "two bytes", "Zm8=", true, 0, "fo" },
		{ "three bytes", "Zm9v", true, 0, "foo" },
		{ "unpadded, required", "Zg", true, -EINVAL, NULL },
		{ "unpadded, optional", "Zg", false, 0, "f" },
		{ "unpadded two, optional", "Zm8", false, 0, "fo" },
		{ "padded, optional", "Zm8=", false, 0, "fo" },
		{ "one char", "Z", false, -EINVAL, NULL },
		{ "short padding", "Zg=", false, -EINVAL, NULL },
		{ "three pads", "Z===", true, -EINVAL, NULL },
		{ "unused bits set", "Zh==", true, -EINVAL, NULL },
		{ "bad character", "Zm9*", true, -EINVAL, NULL },
		{ "pad in the middle", "Zg==Zm9v", true, -EINVAL, NULL },
		{ "all pads", "====", true, -EINVAL, NULL },
	};
	unsigned char out[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = base64_decode(cases[i].in, strlen(cases[i].in),
				       cases[i].padding_required, out, &n);

		if (rc != cases[i].rc)
			print_error("case '%s': %d\n", cases[i].name, rc);
		assert_int_equal(rc, cases[i].rc);
		if (cases[i].out == NULL)
			continue;
		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(out, cases[i].out, n);
	}
}

static void
test_base64_round_trip(void **state)
{
	unsigned char in[300], out[300];
	char enc[404];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 131 + 7);
	for (size_t len = 0; len <= sizeof(in); len += 1) {
		size_t enc_len = base64_encode(in, len, enc);

		assert_int_equal(enc_len, (len + 2) / 3 * 4);
		assert_int_equal(strlen(enc), enc_len);
		assert_int_equal(base64_decode(enc, enc_len, true, out, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
	}
}

static int
temp_file(const char *content, size_t len, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "/tmp/iocsift-test-common-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static void
test_read_all(void **state)
{
	char path[64], *data = NULL;
	size_t len = 0;
	int fd;

	(void)state;
	fd = temp_file("hello", 5, path, sizeof(path));
	/* Exactly max bytes is fine, one fewer is too big. */
	assert_int_equal(fd_read_all(fd, 5, &data, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(fd_read_all(fd, 4, &data, &len), -EFBIG);
	close(fd);
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 5);
	free(data);
	unlink(path);

	fd = temp_file("", 0, path, sizeof(path));
	close(fd);
	assert_int_equal(file_read_all(path, 100, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	unlink(path);

	assert_int_equal(file_read_all("/nonexistent/x", 100, &data, &len),
			 -ENOENT);
	assert_int_equal(file_read_all("/tmp", 100, &data, &len), -EISDIR);
}

/* A pipe has no size: the buffer grows, and the limit still holds. */
static void
test_read_all_pipe(void **state)
{
	static char chunk[200000];
	char *data = NULL;
	size_t len = 0;
	int fds[2];

	(void)state;
	memset(chunk, 'x', sizeof(chunk));
	for (int limit = 0; limit < 2; limit++) {
		assert_int_equal(pipe(fds), 0);
		assert_int_equal(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) >= 0, 1);
		assert_int_equal(write(fds[1], chunk, sizeof(chunk)),
				 (ssize_t)sizeof(chunk));
		close(fds[1]);
		if (limit == 0) {
			assert_int_equal(fd_read_all(fds[0], sizeof(chunk),
						     &data, &len), 0);
			assert_int_equal(len, sizeof(chunk));
			assert_memory_equal(data, chunk, len);
			assert_int_equal(data[len], '\0');
			free(data);
		} else {
			assert_int_equal(fd_read_all(fds[0], sizeof(chunk) - 1,
						     &data, &len), -EFBIG);
		}
		close(fds[0]);
	}
}

static void
test_monotonic(void **state)
{
	uint64_t a = monotonic_ns(), b;
	struct timespec t = monotonic_after_ms(1500), now;

	(void)state;
	b = monotonic_ns();
	assert_true(b >= a);
	clock_gettime(CLOCK_MONOTONIC, &now);
	assert_true(t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
	int64_t ahead_ms = (int64_t)(t.tv_sec - now.tv_sec) * 1000 +
			   (t.tv_nsec - now.tv_nsec) / 1000000;
	assert_true(ahead_ms > 1400 && ahead_ms <= 1500);
	assert_true(monotonic_ms() >= a / 1000000);
}

static void
test_json_line(void **state)
{
	json_t *json = json_pack("{s:i, s:s, s:f}", "b", 1, "a", "x\ny", "c", 0.5);
	size_t len = 0;
	char *line;

	(void)state;
	assert_non_null(json);
	line = json_line(json, &len);
	assert_non_null(line);
	assert_string_equal(line, "{\"b\":1,\"a\":\"x\\ny\",\"c\":0.5}\n");
	assert_int_equal(len, strlen(line));
	free(line);
	json_decref(json);
}

static unsigned int
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return (unsigned int)st.st_mode & 07777;
}

/* A missing directory is made (parents too) when asked, else refused with
 * the command that makes it; a file is no directory. */
static void
test_dir_prepare(void **state)
{
	char root[] = "/tmp/test_common_dir.XXXXXX";
	char path[300], parent[200], file[300], expected[800];
	char why[DIR_PREPARE_TEXT_MAX];
	mode_t old = umask(022);

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(parent, sizeof(parent), "%s/lib/iocsift", root);
	snprintf(path, sizeof(path), "%s/spool", parent);

	/* Refused: nothing made, the exact command given. */
	assert_int_equal(dir_prepare(path, DIR_MODE_PRIVATE, false, why,
				     sizeof(why)), -ENOENT);
	snprintf(expected, sizeof(expected), "%s does not exist; create it "
		 "with: install -d -m 0700 %s", path, path);
	assert_string_equal(why, expected);
	assert_int_equal(access(parent, F_OK), -1);

	/* Made: the parents 0750, the directory its own mode. */
	assert_int_equal(dir_prepare(path, DIR_MODE_PRIVATE, true, why,
				     sizeof(why)), 0);
	assert_int_equal(mode_of(path), 0700);
	assert_int_equal(mode_of(parent), 0750);
	snprintf(file, sizeof(file), "%s/lib", root);
	assert_int_equal(mode_of(file), 0750);
	/* There: left as it is, whatever was asked. */
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(dir_prepare(path, DIR_MODE_PRIVATE, false, why,
				     sizeof(why)), 0);
	assert_int_equal(mode_of(path), 0755);

	/* A file where the directory should be; a parent that is a file. */
	snprintf(file, sizeof(file), "%s/plain", root);
	fclose(fopen(file, "w"));
	assert_int_equal(dir_prepare(file, DIR_MODE_SHARED, true, why,
				     sizeof(why)), -ENOTDIR);
	assert_non_null(strstr(why, "is not a directory"));
	snprintf(path, sizeof(path), "%s/plain/sub", root);
	assert_int_equal(dir_prepare(path, DIR_MODE_SHARED, true, why,
				     sizeof(why)), -ENOTDIR);
	snprintf(path, sizeof(path), "%s/plain", root);
	unlink(path);
	rmdir(parent);
	umask(old);
	snprintf(expected, sizeof(expected), "rm -rf %s", root);
	assert_int_equal(system(expected), 0);
}

/* Paths a shell would split or expand are quoted. */
static void
test_dir_install_command(void **state)
{
	char out[200];

	(void)state;
	assert_string_equal(dir_install_command("/var/lib/iocsift", 0750, out,
						sizeof(out)),
			    "install -d -m 0750 /var/lib/iocsift");
	assert_string_equal(dir_install_command("/srv/my spool", 0700, out,
						sizeof(out)),
			    "install -d -m 0700 '/srv/my spool'");
	assert_string_equal(dir_install_command("/srv/it's$x", 0700, out,
						sizeof(out)),
			    "install -d -m 0700 '/srv/it'\\''s$x'");
	/* Cut, never overrun. */
	assert_string_equal(dir_install_command("/a/b", 0750, out, 10),
			    "install -");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_detail),
		cmocka_unit_test(test_hex_digit_value),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_read_all),
		cmocka_unit_test(test_read_all_pipe),
		cmocka_unit_test(test_monotonic),
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_dir_prepare),
		cmocka_unit_test(test_dir_install_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
