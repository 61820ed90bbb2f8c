#ifndef TRIAGE_CBLAS_SHIM_H
#define TRIAGE_CBLAS_SHIM_H
// OpenBLAS's cblas.h also declares openblas_get_corename, openblas_set_num_threads
// and openblas_get_config, which the engine uses to report and pin its kernels.
#include <cblas.h>
#endif
