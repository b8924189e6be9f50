#ifndef QCS_CJPEG_SHIM_H
#define QCS_CJPEG_SHIM_H
/* jpeglib.h expects FILE and size_t to be declared first. */
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
#endif
