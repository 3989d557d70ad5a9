/*
 * evmrun.h - `chainsim evm run`: executes EVM bytecode as a contract call on
 * an empty state and prints the status, return data, gas used and logs,
 * like geth's `evm run`.
 */
#ifndef CHAINSIM_EVMRUN_H
#define CHAINSIM_EVMRUN_H

/* Runs the evm command. argv[0] is the first argument after "evm" (the
 * subcommand, "run"); argc counts the arguments. Prints the result on
 * stdout, messages on stderr. Returns the exit status: 0 the code was
 * executed (whatever its status: success, revert or a halt), 1 the output
 * could not be written, 2 bad usage or input (an option, a hex string, an
 * unreadable code file). */
int evmrun_main(int argc, char **argv);

#endif
