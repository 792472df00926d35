/*
 * The benches save their figures as "NAME VALUE" lines (--save) and compare
 * the next run with them (--previous).
 */
#ifndef GRAMOTA_BENCH_PREVIOUS_H
#define GRAMOTA_BENCH_PREVIOUS_H

/* Figure `name` in the saved run `file` (NULL: none), or 0 when it has none. */
double bench_previous(const char *file, const char *name);

#endif
