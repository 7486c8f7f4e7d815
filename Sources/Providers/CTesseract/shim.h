#ifndef VIDPIPE_CTESSERACT_SHIM_H
#define VIDPIPE_CTESSERACT_SHIM_H
#include <tesseract/capi.h>
#endif
