#ifndef QCS_CZSTD_SHIM_H
#define QCS_CZSTD_SHIM_H
#include <zstd.h>
#endif
