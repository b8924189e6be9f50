#ifndef QCS_CBLAS_SHIM_H
#define QCS_CBLAS_SHIM_H
/* Debian installs OpenBLAS's cblas.h (with openblas_set_num_threads) under the multiarch
   include directory, which the compiler searches by default. */
#include <cblas.h>
#endif
