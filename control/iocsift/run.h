/* run.h -- `iocsift run`: the appliance, from its config to its exit. */
#ifndef IOCSIFT_RUN_H
#define IOCSIFT_RUN_H

/* argv[0] is "run". Returns the process exit status. */
int run_main(int argc, char **argv);

#endif
