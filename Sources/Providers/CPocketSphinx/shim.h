#ifndef VIDPIPE_CPOCKETSPHINX_SHIM_H
#define VIDPIPE_CPOCKETSPHINX_SHIM_H
#include <pocketsphinx.h>
#endif
