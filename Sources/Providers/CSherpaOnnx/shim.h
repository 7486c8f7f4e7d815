#ifndef VIDPIPE_CSHERPAONNX_SHIM_H
#define VIDPIPE_CSHERPAONNX_SHIM_H
#include <sherpa-onnx/c-api/c-api.h>
#endif
