/*
 * check_outfile.c - output files written under a temporary name and renamed
 * when complete (analysis/outfile.c).
 */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "analysis/outfile.h"
#include "tests/testutil.h"

/* Every name in dir, sorted, separated by spaces (g_free). */
static char *listing(const char *dir)
{
    GPtrArray *v = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    ck_assert_ptr_nonnull(d);
    for (const char *n; (n = g_dir_read_name(d));)
        g_ptr_array_add(v, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(v, (GCompareFunc)(void *)g_strcmp0);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < v->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (char *)g_ptr_array_index(v, i));
    g_ptr_array_free(v, TRUE);
    return g_string_free(s, FALSE);
}

static char *contents(const char *path)
{
    char *text = NULL;
    ck_assert_msg(g_file_get_contents(path, &text, NULL, NULL), "no file %s", path);
    return text;
}

START_TEST(test_commit_and_abort)
{
    char *dir = tu_tmpdir();
    char *path = tu_write(dir, "out.txt", "older");
    char *err = NULL;

    /* Until the commit, the older file is what a reader sees. */
    outfile_t *f = outfile_open(path, &err);
    ck_assert_ptr_nonnull(f);
    fputs("newer", outfile_stream(f));
    fflush(outfile_stream(f));
    char *text = contents(path);
    ck_assert_str_eq(text, "older");
    g_free(text);
    char *temp = g_build_filename(dir, outfile_temp_name(f), NULL);
    ck_assert(g_str_has_prefix(outfile_temp_name(f), ".out.txt."));
    text = contents(temp);
    ck_assert_str_eq(text, "newer");
    g_free(text);
    ck_assert(outfile_commit(f, &err));
    text = contents(path);
    ck_assert_str_eq(text, "newer");
    g_free(text);
    ck_assert(!g_file_test(temp, G_FILE_TEST_EXISTS));
    g_free(temp);

    /* An abort leaves it as it was and nothing beside it. */
    f = outfile_open(path, &err);
    ck_assert_ptr_nonnull(f);
    fputs("never", outfile_stream(f));
    outfile_abort(f);
    text = contents(path);
    ck_assert_str_eq(text, "newer");
    g_free(text);
    char *names = listing(dir);
    ck_assert_str_eq(names, "out.txt");
    g_free(names);

    /* A new file, in one call. */
    char *fresh = g_build_filename(dir, "fresh.txt", NULL);
    ck_assert(outfile_write(fresh, "abc", 3, &err));
    text = contents(fresh);
    ck_assert_str_eq(text, "abc");
    g_free(text);
    names = listing(dir);
    ck_assert_str_eq(names, "fresh.txt out.txt");
    g_free(names);
    g_free(fresh);
    g_free(path);
    g_free(dir);
}
END_TEST

START_TEST(test_errors_give_the_reason)
{
    char *dir = tu_tmpdir();
    char *file = tu_write(dir, "file", "x");
    char *err = NULL;

    char *under = g_build_filename(file, "out.txt", NULL);
    ck_assert_ptr_null(outfile_open(under, &err));
    char *want = g_strdup_printf("cannot write %s: %s", under, g_strerror(ENOTDIR));
    ck_assert_str_eq(err, want);
    g_free(want);
    g_free(err);

    char *missing = g_build_filename(dir, "no-such-folder", "out.txt", NULL);
    ck_assert(!outfile_write(missing, "x", 1, &err));
    want = g_strdup_printf("cannot write %s: %s", missing, g_strerror(ENOENT));
    ck_assert_str_eq(err, want);
    g_free(want);
    g_free(err);

    ck_assert_ptr_null(outfile_open(dir, &err));
    want = g_strdup_printf("cannot write %s: %s", dir, g_strerror(EISDIR));
    ck_assert_str_eq(err, want);
    g_free(want);
    g_free(err);

    char *text = contents(file);
    ck_assert_str_eq(text, "x");
    g_free(text);
    g_free(missing);
    g_free(under);
    g_free(file);
    g_free(dir);
}
END_TEST

START_TEST(test_output_is_not_an_input)
{
    char *dir = tu_tmpdir();
    char *in = tu_write(dir, "in.db", "data");
    char *soft = g_build_filename(dir, "soft.db", NULL);
    char *hard = g_build_filename(dir, "hard.db", NULL);
    char *other = tu_write(dir, "other.db", "data");
    char *fresh = g_build_filename(dir, "fresh.db", NULL);
    ck_assert_int_eq(symlink(in, soft), 0);
    ck_assert_int_eq(link(in, hard), 0);
    char *via_dot = g_strdup_printf("%s/./in.db", dir);
    const char *inputs[] = { other, in, NULL };
    const char *same[] = { in, soft, hard, via_dot };
    for (size_t i = 0; i < G_N_ELEMENTS(same); i++) {
        char *err = NULL;
        ck_assert_msg(!outfile_check(same[i], inputs, &err), "%s passed", same[i]);
        ck_assert_msg(strstr(err, same[i]) && strstr(err, "cannot be"), "%s", err);
        g_free(err);
    }
    char *err = NULL;
    ck_assert(outfile_check(fresh, inputs, &err));
    const char *none[] = { NULL };
    ck_assert(outfile_check(in, none, &err));
    g_free(via_dot);
    g_free(fresh);
    g_free(other);
    g_free(hard);
    g_free(soft);
    g_free(in);
    g_free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outfile");
    TCase *tc = tcase_create("outfile");
    tcase_add_test(tc, test_commit_and_abort);
    tcase_add_test(tc, test_errors_give_the_reason);
    tcase_add_test(tc, test_output_is_not_an_input);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
