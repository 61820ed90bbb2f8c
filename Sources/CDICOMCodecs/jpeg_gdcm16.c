// JPEG lossless (process 14) of 9-16 bits: GDCM's 16-bit IJG build.
#include <stdio.h>
#include <gdcm-3.0/gdcmjpeg/16/jpeglib.h>
#define TRIAGE_JPEG_FUNCTION triage_jpeg_gdcm16_decode
#define TRIAGE_JPEG_LOSSLESS 1
#include "jpeg_ijg.h"
