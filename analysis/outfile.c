/*
 * outfile.c - see outfile.h.
 *
 * open: mkstemp(".NAME.XXXXXX") in NAME's folder (g_mkstemp_full, so the
 * mode is 0666 less the umask rather than mkstemp's 0600); commit: fflush,
 * fsync, fclose, rename. Any failure unlinks the temporary file and nothing
 * else: the final name is only ever touched by the rename.
 */
#include "analysis/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct outfile {
    char *path; /* final */
    char *temp; /* temporary, beside path */
    char *temp_name;
    FILE *stream;
};

bool outfile_check(const char *path, const char *const *inputs, char **err)
{
    GStatBuf out;
    if (g_stat(path, &out) != 0)
        return true; /* a new file is none of the inputs */
    for (int i = 0; inputs && inputs[i]; i++) {
        GStatBuf in;
        if (g_stat(inputs[i], &in) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
            if (strcmp(path, inputs[i]) == 0)
                *err = g_strdup_printf("%s: is an input; the output cannot be an input too", path);
            else
                *err = g_strdup_printf("%s: is the same file as the input %s; the output cannot be an input too",
                                       path, inputs[i]);
            return false;
        }
    }
    return true;
}

outfile_t *outfile_open(const char *path, char **err)
{
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        *err = g_strdup_printf("cannot write %s: %s", path, g_strerror(EISDIR));
        return NULL;
    }
    /* rename() would replace a file this process may not write: refuse it,
     * as opening it would have. */
    if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
        *err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        return NULL;
    }
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    char *name = g_strdup_printf(".%s.XXXXXX", base);
    char *temp = g_build_filename(dir, name, NULL);
    g_free(name);
    g_free(base);
    g_free(dir);
    int fd = g_mkstemp_full(temp, O_RDWR | O_CLOEXEC, 0666);
    if (fd < 0) {
        *err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        g_free(temp);
        return NULL;
    }
    FILE *stream = fdopen(fd, "wb");
    if (!stream) {
        *err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno));
        close(fd);
        g_unlink(temp);
        g_free(temp);
        return NULL;
    }
    outfile_t *f = g_new0(outfile_t, 1);
    f->path = g_strdup(path);
    f->temp = temp;
    f->temp_name = g_path_get_basename(temp);
    f->stream = stream;
    return f;
}

FILE *outfile_stream(outfile_t *f)
{
    return f->stream;
}

const char *outfile_temp_name(const outfile_t *f)
{
    return f->temp_name;
}

static void outfile_free(outfile_t *f)
{
    g_free(f->path);
    g_free(f->temp);
    g_free(f->temp_name);
    g_free(f);
}

void outfile_abort(outfile_t *f)
{
    if (!f)
        return;
    fclose(f->stream);
    g_unlink(f->temp);
    outfile_free(f);
}

bool outfile_commit(outfile_t *f, char **err)
{
    int e = 0;
    if (fflush(f->stream) != 0 || ferror(f->stream))
        e = errno ? errno : EIO;
    else if (fsync(fileno(f->stream)) != 0 && errno != EINVAL) /* EINVAL: a file that cannot be synced */
        e = errno;
    if (fclose(f->stream) != 0 && e == 0)
        e = errno;
    f->stream = NULL;
    if (e == 0 && g_rename(f->temp, f->path) != 0)
        e = errno;
    if (e != 0) {
        *err = g_strdup_printf("cannot write %s: %s", f->path, g_strerror(e));
        g_unlink(f->temp);
    }
    outfile_free(f);
    return e == 0;
}

bool outfile_write(const char *path, const char *data, size_t len, char **err)
{
    outfile_t *f = outfile_open(path, err);
    if (!f)
        return false;
    if (len > 0 && fwrite(data, 1, len, f->stream) != len) {
        *err = g_strdup_printf("cannot write %s: %s", path, g_strerror(errno ? errno : EIO));
        outfile_abort(f);
        return false;
    }
    return outfile_commit(f, err);
}
