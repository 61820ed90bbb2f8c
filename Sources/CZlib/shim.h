#ifndef TRIAGE_ZLIB_SHIM_H
#define TRIAGE_ZLIB_SHIM_H
#include <zlib.h>
#endif
