/* testutil.c - helpers shared by the Check suites. */
