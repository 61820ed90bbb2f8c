// JPEG 12-bit lossy (extended, process 4): GDCM's 12-bit IJG build (libjpeg-turbo in Debian has none).
#include <stdio.h>
#include <gdcm-3.0/gdcmjpeg/12/jpeglib.h>
#define TRIAGE_JPEG_FUNCTION triage_jpeg_gdcm12_decode
#include "jpeg_ijg.h"
