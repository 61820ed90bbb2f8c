// JPEG lossless (process 14) of 2-8 bits: GDCM's 8-bit IJG build with the lossless codec.
#include <stdio.h>
#include <gdcm-3.0/gdcmjpeg/8/jpeglib.h>
#define TRIAGE_JPEG_FUNCTION triage_jpeg_gdcm8_decode
#define TRIAGE_JPEG_LOSSLESS 1
#include "jpeg_ijg.h"
