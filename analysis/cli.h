/*
 * cli.h - the command-line conventions every chainsim command shares.
 *
 * A command describes itself once (cli_command_t: name, usage lines, a
 * paragraph, its operands, notes, exit statuses) and lists its options in a
 * table (cli_option_t, ending with a zero row). cli_parse() parses argv with
 * GLib's GOptionContext and then gives:
 *
 *   - one --help layout for every command, on stdout, exit status 0:
 *
 *       usage: chainsim NAME USAGE
 *
 *       ABOUT
 *
 *       options:
 *         --opt ARG     help
 *         -h, --help    show this help
 *
 *       NOTES
 *
 *       exit status: EXITS
 *
 *   - one form for every usage error, on stderr, exit status 2:
 *
 *       chainsim NAME: <message naming the option or argument>
 *       Try 'chainsim NAME --help'.
 *
 *     unknown option ("unknown option --bogus"), missing value ("option
 *     --run needs a value"), bad value ("--run abc: expected a run id, a
 *     whole number from 1"), missing operand ("missing the results database
 *     file (DB)") and extra operand ("only one DB, got a second: b.db");
 *
 *   - one handling of the common options: --out (any non-empty name),
 *     --run (a run id, a whole number from 1), --format and other choices
 *     (one of a list, the error names the list), flags such as --json.
 *
 * Options may be given in any order among the operands, as --name VALUE,
 * --name=VALUE, -x VALUE or -xVALUE; `--` ends the options.
 */
#ifndef CHAINSIM_CLI_H
#define CHAINSIM_CLI_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses of every command. */
enum { CLI_OK = 0, CLI_RUNTIME = 1, CLI_BADINPUT = 2, CLI_INTERRUPTED = 130 };

/* What cli_parse() returns when the command should go on. */
#define CLI_GO_ON (-1)

/* How an option's value is checked and where it is stored (dest). */
typedef enum cli_type {
    CLI_FLAG,   /* bool *: set to true; takes no value */
    CLI_TEXT,   /* const char **: the value (borrowed from argv), not empty */
    CLI_TEXTS,  /* GPtrArray * (of char *, g_free): a copy of each value, in order; repeatable */
    CLI_RUN_ID, /* int64_t *: a run id, a whole number from 1 to 2^63 - 1 */
    CLI_CHOICE, /* int *: the index of the value in choices[] */
    CLI_CUSTOM, /* anything: check(dest, value, &why) parses and stores the value */
} cli_type_t;

/* Parses value into dest. Returns false with *why set (what was expected,
 * g_free; the caller adds the option and the value) when it is not valid. */
typedef bool (*cli_check_fn)(void *dest, const char *value, char **why);

typedef struct cli_option {
    const char *name;           /* long name without the dashes; NULL ends a table */
    char short_name;            /* 0 for none */
    cli_type_t type;
    void *dest;                 /* see cli_type_t */
    const char *arg;            /* the value in the help ("FILE"); NULL for CLI_FLAG */
    const char *help;           /* lines separated by '\n' */
    const char *const *choices; /* CLI_CHOICE: the allowed values, NULL-terminated */
    cli_check_fn check;         /* CLI_CUSTOM */
} cli_option_t;

/* How many arguments an operand takes. */
typedef enum cli_count {
    CLI_ONE,      /* exactly one */
    CLI_OPTIONAL, /* zero or one (only last) */
    CLI_MANY,     /* one or more (only last) */
} cli_count_t;

typedef struct cli_operand {
    const char *name; /* as in the usage line: "DB"; NULL ends a list */
    const char *what; /* "the results database file" */
    cli_count_t count;
} cli_operand_t;

typedef struct cli_command {
    const char *name;               /* "report" */
    const char *usage;              /* synopsis after "chainsim NAME "; '\n' between alternatives */
    const char *about;              /* one paragraph, lines ended by '\n' */
    const cli_operand_t *operands;  /* NULL or a list ended by a zero row */
    const char *notes;              /* NULL, or text printed after the options */
    const char *exits;              /* the exit statuses, after "exit status: " */
} cli_command_t;

/* Parses the arguments of cmd: argv[0] is the first argument after the
 * command name, argc counts them (argv need not be NULL-terminated). The
 * values go to the dest of each option of opts (a table ended by a zero
 * row) and *operands gets a new NULL-terminated array of the operands
 * (strings borrowed from argv; g_free the array). Returns CLI_GO_ON, or an
 * exit status after printing the help (CLI_OK) or a usage error
 * (CLI_BADINPUT); *operands is then NULL. */
int cli_parse(const cli_command_t *cmd, const cli_option_t *opts, int argc, char **argv, char ***operands);

/* Prints the help of cmd with its options, in the layout described above. */
void cli_print_help(FILE *out, const cli_command_t *cmd, const cli_option_t *opts);

/* Prints "chainsim CMD: <message>" and "Try 'chainsim CMD --help'." to
 * stderr. Returns CLI_BADINPUT. */
int cli_usage_error(const char *cmd, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The value as shown in messages: as is, or shell-quoted when it is empty
 * or holds characters a shell would interpret (g_free). */
char *cli_quote(const char *value);

#endif
