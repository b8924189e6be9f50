#ifndef QCS_CCRYPTO_SHIM_H
#define QCS_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#endif
