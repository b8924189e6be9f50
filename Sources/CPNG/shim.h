#ifndef QCS_CPNG_SHIM_H
#define QCS_CPNG_SHIM_H
#include <png.h>
#endif
