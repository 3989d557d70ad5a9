/*
 * cli.c - see cli.h: one option parser, one help layout and one form of
 * usage error for every chainsim command.
 *
 * Parsing is GLib's GOptionContext: every option of the table becomes a
 * GOptionEntry of type G_OPTION_ARG_CALLBACK (flag G_OPTION_FLAG_FILENAME,
 * so a value is passed through byte for byte, never converted from the
 * locale's character set), and one callback, on_option(), checks the value
 * by the option's cli_type_t and stores it. Four things GOptionContext does
 * not do the way chainsim needs are done here, each in one place:
 *
 *   1. Values glued to a short option ("-j4"): GOptionContext reads "-j4" as
 *      the options -j and -4 and takes the NEXT argument as the value of -j.
 *      split_glued() turns "-j4" into "-j" "4" (and "-qj4" into "-q" "-j"
 *      "4") before parsing.
 *   2. A value given to a flag ("--json=1"): GOptionContext silently drops
 *      it; check_flags() refuses it.
 *   3. Operands and unknown options: the context is told to ignore unknown
 *      options, so they stay in argv beside the operands (and a `--` that
 *      GOptionContext keeps when an argument after it starts with '-');
 *      leftovers() reports the first unknown option, then checks the number
 *      of operands against the command's list. GOptionContext has no notion
 *      of operands, and its own message for an unknown option cannot name
 *      the option in a form that does not depend on its translations.
 *   4. Stored values: a callback receives a copy of the value that
 *      GOptionContext frees when the callback returns, while CLI_TEXT and
 *      the checks of CLI_CUSTOM promise a pointer into argv. in_argv() finds
 *      the argument (or the part after '=' or after "-x") with that text;
 *      any argument with the same text will do.
 *
 * The help is GOptionContext's help turned off (it has its own layout, on
 * its own terms) and -h/--help added as an ordinary option; cli_print_help()
 * prints every command's help from its cli_command_t and option table.
 */
#include "analysis/cli.h"

#include <stdarg.h>
#include <string.h>

/* The state the callback sees (the option group's user data). */
typedef struct cli_state {
    const cli_command_t *cmd;
    const cli_option_t *opts;
    char **argv; /* the arguments as given (after split_glued), for in_argv() */
    int argc;
    bool help;
} cli_state_t;

static GQuark cli_error_quark(void)
{
    return g_quark_from_static_string("chainsim-cli-error");
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "chainsim %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'chainsim %s --help'.\n", cmd);
    return CLI_BADINPUT;
}

char *cli_quote(const char *value)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%";
    if (*value && strspn(value, safe) == strlen(value))
        return g_strdup(value);
    return g_shell_quote(value);
}

/* The option of the table spelt `spelling` ("--name" or "-x"), or NULL. */
static const cli_option_t *find_option(const cli_option_t *opts, const char *spelling)
{
    for (const cli_option_t *o = opts; o->name; o++) {
        if (spelling[0] == '-' && spelling[1] == '-' && strcmp(spelling + 2, o->name) == 0)
            return o;
        if (spelling[0] == '-' && spelling[1] != '-' && o->short_name && spelling[1] == o->short_name &&
            spelling[2] == '\0')
            return o;
    }
    return NULL;
}

/* A pointer into the arguments to text equal to value (see the top). */
static const char *in_argv(const cli_state_t *s, const char *value)
{
    for (int i = 0; i < s->argc; i++) {
        const char *a = s->argv[i];
        if (strcmp(a, value) == 0)
            return a;
        const char *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
        if (eq && strcmp(eq + 1, value) == 0)
            return eq + 1;
    }
    g_assert_not_reached(); /* GOptionContext took the value from an argument */
    return NULL;
}

/* "a, b or c" of a NULL-terminated list (g_free). */
static char *choice_list(const char *const *choices)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; choices[i]; i++)
        g_string_append_printf(s, "%s%s", i == 0 ? "" : choices[i + 1] ? ", " : " or ", choices[i]);
    return g_string_free(s, FALSE);
}

/* Checks value for option o and stores it. Returns NULL, or what was
 * expected (g_free). */
static char *store(const cli_option_t *o, const char *value)
{
    switch (o->type) {
    case CLI_FLAG:
        *(bool *)o->dest = true;
        return NULL;
    case CLI_TEXT:
        if (!*value)
            return g_strdup_printf("expected %s, not an empty value", o->arg);
        *(const char **)o->dest = value;
        return NULL;
    case CLI_TEXTS:
        if (!*value)
            return g_strdup_printf("expected %s, not an empty value", o->arg);
        g_ptr_array_add(o->dest, g_strdup(value));
        return NULL;
    case CLI_RUN_ID: {
        gint64 id = 0;
        if (!g_ascii_string_to_signed(value, 10, 1, G_MAXINT64, &id, NULL))
            return g_strdup("expected a run id, a whole number from 1");
        *(int64_t *)o->dest = id;
        return NULL;
    }
    case CLI_CHOICE:
        for (int i = 0; o->choices[i]; i++) {
            if (strcmp(o->choices[i], value) == 0) {
                *(int *)o->dest = i;
                return NULL;
            }
        }
        {
            char *list = choice_list(o->choices);
            char *why = g_strdup_printf("expected %s", list);
            g_free(list);
            return why;
        }
    case CLI_CUSTOM: {
        char *why = NULL;
        if (o->check(o->dest, value, &why))
            return NULL;
        return why ? why : g_strdup("not a valid value");
    }
    }
    g_assert_not_reached();
    return NULL;
}

/* The GOptionArgFunc of every option. */
static gboolean on_option(const char *spelling, const char *value, gpointer data, GError **error)
{
    cli_state_t *s = data;
    if (strcmp(spelling, "--help") == 0 || strcmp(spelling, "-h") == 0) {
        s->help = true;
        return TRUE;
    }
    const cli_option_t *o = find_option(s->opts, spelling);
    g_assert(o != NULL);
    const char *arg = o->type == CLI_FLAG ? NULL : in_argv(s, value);
    char *why = store(o, arg);
    if (!why)
        return TRUE;
    char *q = cli_quote(arg);
    g_set_error(error, cli_error_quark(), 0, "%s %s: %s", spelling, q, why);
    g_free(q);
    g_free(why);
    return FALSE;
}

/* The arguments with every cluster of short options split into one
 * argument per option, the value of the last one apart: "-j4" becomes "-j"
 * "4", "-qj4" becomes "-q" "-j" "4" (up to a "--"; a cluster with a letter
 * that is no option is left whole, to be reported). The array is new
 * (g_free); the strings are argv's or in *keep. */
static GPtrArray *split_glued(const cli_option_t *opts, int argc, char **argv, GPtrArray *keep)
{
    GPtrArray *v = g_ptr_array_new();
    GPtrArray *parts = g_ptr_array_new();
    bool options = true;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (options && strcmp(a, "--") == 0)
            options = false;
        if (!options || a[0] != '-' || a[1] == '-' || a[1] == '\0' || a[2] == '\0') {
            g_ptr_array_add(v, a);
            continue;
        }
        bool known = true;
        g_ptr_array_set_size(parts, 0);
        for (char *p = a + 1; *p && known; p++) {
            char name[3] = { '-', *p, '\0' };
            const cli_option_t *o = find_option(opts, name);
            known = o != NULL || *p == 'h';
            if (!known)
                break;
            char *spelt = g_strdup(name);
            g_ptr_array_add(keep, spelt);
            g_ptr_array_add(parts, spelt);
            if (o && o->type != CLI_FLAG) {
                if (p[1])
                    g_ptr_array_add(parts, p + 1);
                break;
            }
        }
        if (known)
            for (guint k = 0; k < parts->len; k++)
                g_ptr_array_add(v, g_ptr_array_index(parts, k));
        else
            g_ptr_array_add(v, a);
    }
    g_ptr_array_free(parts, TRUE);
    return v;
}

/* Refuses "--flag=value". Returns CLI_GO_ON or CLI_BADINPUT after saying so. */
static int check_flags(const cli_command_t *cmd, const cli_option_t *opts, const GPtrArray *args)
{
    for (guint i = 0; i < args->len; i++) {
        const char *a = g_ptr_array_index(args, i);
        if (strcmp(a, "--") == 0)
            break;
        const char *eq = a[0] == '-' && a[1] == '-' ? strchr(a, '=') : NULL;
        if (!eq)
            continue;
        char *name = g_strndup(a, (gsize)(eq - a));
        const cli_option_t *o = find_option(opts, name);
        bool flag = (o && o->type == CLI_FLAG) || strcmp(name, "--help") == 0;
        int rc = flag ? cli_usage_error(cmd->name, "option %s takes no value, got %s", name, a) : CLI_GO_ON;
        g_free(name);
        if (rc != CLI_GO_ON)
            return rc;
    }
    return CLI_GO_ON;
}

/* The option a "missing argument" error of GOptionContext is about: it
 * takes the next argument whatever it is, so only the last argument can
 * lack its value. */
static char *missing_value_option(const GPtrArray *args)
{
    const char *last = args->len ? g_ptr_array_index(args, args->len - 1) : "";
    if (last[0] == '-' && last[1] == '-')
        return g_strndup(last, strcspn(last, "="));
    if (last[0] == '-' && last[1] != '\0')
        return g_strdup_printf("-%c", last[strlen(last) - 1]);
    return g_strdup(last);
}

/* Checks what GOptionContext left: unknown options, then the operands
 * against cmd->operands. Returns CLI_GO_ON with *operands set, or
 * CLI_BADINPUT after saying why. */
static int leftovers(const cli_command_t *cmd, int argc, char **argv, char ***operands)
{
    GPtrArray *v = g_ptr_array_new();
    bool options = true;
    for (int i = 1; i < argc; i++) { /* argv[0] is the program */
        const char *a = argv[i];
        if (options && strcmp(a, "--") == 0) {
            options = false;
            continue;
        }
        if (options && a[0] == '-' && a[1] != '\0') {
            g_ptr_array_free(v, TRUE);
            return cli_usage_error(cmd->name, "unknown option %s", a);
        }
        g_ptr_array_add(v, (char *)a);
    }

    guint min = 0, max = 0;
    bool unlimited = false;
    const cli_operand_t *ops = cmd->operands;
    for (const cli_operand_t *op = ops; op && op->name; op++) {
        min += op->count != CLI_OPTIONAL;
        max++;
        unlimited |= op->count == CLI_MANY;
    }
    int rc = CLI_GO_ON;
    if (v->len < min) {
        const cli_operand_t *op = &ops[v->len];
        rc = cli_usage_error(cmd->name, "missing %s (%s%s)", op->what, op->name, op->count == CLI_MANY ? "..." : "");
    } else if (!unlimited && v->len > max) {
        const char *extra = g_ptr_array_index(v, max);
        char *q = cli_quote(extra);
        if (max == 0)
            rc = cli_usage_error(cmd->name, "unexpected argument %s: the command takes none", q);
        else if (max == 1)
            rc = cli_usage_error(cmd->name, "only one %s, got a second: %s", ops[0].name, q);
        else
            rc = cli_usage_error(cmd->name, "at most %u arguments, got another: %s", max, q);
        g_free(q);
    }
    if (rc != CLI_GO_ON) {
        g_ptr_array_free(v, TRUE);
        return rc;
    }
    g_ptr_array_add(v, NULL);
    *operands = (char **)g_ptr_array_free(v, FALSE);
    return CLI_GO_ON;
}

int cli_parse(const cli_command_t *cmd, const cli_option_t *opts, int argc, char **argv, char ***operands)
{
    *operands = NULL;
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *args = split_glued(opts, argc, argv, keep);
    GArray *entries = g_array_new(TRUE, TRUE, sizeof(GOptionEntry));
    char *prog = g_strdup_printf("chainsim %s", cmd->name);
    cli_state_t s = { .cmd = cmd, .opts = opts, .argv = (char **)args->pdata, .argc = (int)args->len };
    GOptionContext *ctx = NULL;
    char **gargv = NULL;
    int rc = check_flags(cmd, opts, args);
    if (rc != CLI_GO_ON)
        goto done;

    for (const cli_option_t *o = opts; o->name; o++) {
        g_assert(o->type != CLI_CHOICE || o->choices);
        g_assert(o->type != CLI_CUSTOM || o->check);
        g_assert((o->type == CLI_FLAG) == (o->arg == NULL));
        GOptionEntry e = { o->name, o->short_name,
                           G_OPTION_FLAG_FILENAME | (o->type == CLI_FLAG ? G_OPTION_FLAG_NO_ARG : 0),
                           G_OPTION_ARG_CALLBACK, (gpointer)on_option, o->help, o->arg };
        g_array_append_val(entries, e);
    }
    GOptionEntry help = { "help", 'h', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer)on_option,
                          "show this help", NULL };
    g_array_append_val(entries, help);

    ctx = g_option_context_new(NULL);
    g_option_context_set_help_enabled(ctx, FALSE);
    g_option_context_set_ignore_unknown_options(ctx, TRUE);
    GOptionGroup *group = g_option_group_new(cmd->name, cmd->name, cmd->name, &s, NULL);
    g_option_group_add_entries(group, (const GOptionEntry *)(void *)entries->data);
    g_option_context_set_main_group(ctx, group); /* owned by ctx */

    /* GOptionContext rearranges the array it parses: give it a copy. */
    int gargc = (int)args->len + 1;
    gargv = g_new0(char *, (gsize)gargc + 1);
    gargv[0] = prog;
    for (guint i = 0; i < args->len; i++)
        gargv[i + 1] = g_ptr_array_index(args, i);
    char **parsed = gargv; /* g_option_context_parse may move the pointer */
    GError *err = NULL;
    if (!g_option_context_parse(ctx, &gargc, &parsed, &err)) {
        if (err->domain == G_OPTION_ERROR && err->code == G_OPTION_ERROR_BAD_VALUE) {
            /* GOptionContext's only own value error here: no value at all. */
            char *name = missing_value_option(args);
            rc = cli_usage_error(cmd->name, "option %s needs a value", name);
            g_free(name);
        } else {
            rc = cli_usage_error(cmd->name, "%s", err->message);
        }
        g_error_free(err);
        goto done;
    }
    if (s.help) {
        cli_print_help(stdout, cmd, opts);
        rc = CLI_OK;
        goto done;
    }
    rc = leftovers(cmd, gargc, parsed, operands);
done:
    if (ctx)
        g_option_context_free(ctx);
    g_free(gargv);
    g_free(prog);
    g_array_free(entries, TRUE);
    g_ptr_array_free(args, TRUE);
    g_ptr_array_free(keep, TRUE);
    return rc;
}

/* "-x, --name ARG" or "--name ARG" (g_free). */
static char *spelling(const char *name, char short_name, const char *arg)
{
    GString *s = g_string_new(NULL);
    if (short_name)
        g_string_append_printf(s, "-%c, ", short_name);
    g_string_append_printf(s, "--%s", name);
    if (arg)
        g_string_append_printf(s, " %s", arg);
    return g_string_free(s, FALSE);
}

/* Prints text, ending it with a newline if it lacks one. */
static void put_text(FILE *out, const char *text)
{
    size_t n = strlen(text);
    fputs(text, out);
    if (n == 0 || text[n - 1] != '\n')
        fputc('\n', out);
}

static void put_option(FILE *out, const char *spelt, const char *help, int width)
{
    char **lines = g_strsplit(help ? help : "", "\n", -1);
    fprintf(out, "  %-*s%s\n", width, spelt, lines[0] ? lines[0] : "");
    for (int i = 1; lines[0] && lines[i]; i++)
        if (*lines[i])
            fprintf(out, "  %*s%s\n", width, "", lines[i]);
    g_strfreev(lines);
}

void cli_print_help(FILE *out, const cli_command_t *cmd, const cli_option_t *opts)
{
    char *lead = g_strdup_printf("usage: chainsim %s ", cmd->name);
    char **usage = g_strsplit(cmd->usage, "\n", -1);
    fprintf(out, "usage: chainsim %s%s%s\n", cmd->name, usage[0] && *usage[0] ? " " : "", usage[0] ? usage[0] : "");
    for (int i = 1; usage[0] && usage[i]; i++) {
        if (!*usage[i])
            continue;
        if (g_ascii_isspace(usage[i][0])) /* a continued line */
            fprintf(out, "%*s%s\n", (int)strlen(lead), "", g_strchug(usage[i]));
        else /* another form of the command */
            fprintf(out, "%*schainsim %s %s\n", (int)strlen("usage: "), "", cmd->name, usage[i]);
    }
    g_strfreev(usage);
    g_free(lead);

    fputc('\n', out);
    put_text(out, cmd->about);

    int width = (int)strlen("-h, --help");
    for (const cli_option_t *o = opts; o->name; o++) {
        char *s = spelling(o->name, o->short_name, o->arg);
        width = MAX(width, (int)strlen(s));
        g_free(s);
    }
    width += 2;
    fputs("\noptions:\n", out);
    for (const cli_option_t *o = opts; o->name; o++) {
        char *s = spelling(o->name, o->short_name, o->arg);
        put_option(out, s, o->help, width);
        g_free(s);
    }
    put_option(out, "-h, --help", "show this help", width);

    if (cmd->notes) {
        fputc('\n', out);
        put_text(out, cmd->notes);
    }
    if (cmd->exits) {
        fputc('\n', out);
        fputs("exit status: ", out);
        put_text(out, cmd->exits);
    }
}
