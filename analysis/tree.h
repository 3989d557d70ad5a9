/*
 * tree.h - `chainsim tree DB [--run ID] [--from HEIGHT] [--to HEIGHT |
 * --around FORK] [--out FILE.svg|.png|.dot]`: the block tree of a run,
 * drawn with Graphviz.
 */
#ifndef CHAINSIM_TREE_H
#define CHAINSIM_TREE_H

/* The command; argv[0] is the first argument after "tree". Returns the
 * exit status. */
int tree_main(int argc, char **argv);

/* The dot program to run (g_free), from CHAINSIM_DOT (empty: none) or
 * PATH; NULL when there is none. */
char *tree_find_dot(void);

#endif
