// JPEG 8-bit lossy (baseline and extended): libjpeg-turbo.
#include <stdio.h>
#include <jpeglib.h>
#define TRIAGE_JPEG_FUNCTION triage_jpeg_turbo_decode
#include "jpeg_ijg.h"
