#ifndef TRIAGE_DICOM_CODECS_H
#define TRIAGE_DICOM_CODECS_H
// The image codecs of DICOM's compressed transfer syntaxes, over Debian's libraries:
// JPEG 8-bit lossy: libjpeg-turbo; JPEG 12-bit lossy and JPEG lossless (process 14): GDCM's IJG
// builds (libgdcmjpeg8/12/16); JPEG-LS: CharLS; JPEG 2000: OpenJPEG.
// Every decoder reads one frame's codestream from memory, checks that the stream's size,
// components and precision are the ones the DICOM header promised (the caller sized `out` from
// those), and writes interleaved samples: 1 byte each when bytesPerSample is 1, else 2 in host
// order. 1 on success; 0 with a sentence in info->message otherwise. No decoder writes past outSize.
#include <stddef.h>

/// What a codestream held (filled as far as the decoder got).
typedef struct {
    int width;
    int height;
    int components;
    int precision;     // bits per sample in the codestream
    int isSigned;      // JPEG 2000: the codestream's samples are signed
    int lossless;      // JPEG: process 14 (SOF3)
    char message[256]; // why decoding failed
} triage_codec_info;

/// JPEG (processes 1, 2/4 and 14): the library is chosen from the SOF marker. `storedAsRGB`: the
/// DICOM header says RGB, so a 3-component lossy stream without JFIF or Adobe marker is read as RGB
/// (not converted from YCbCr, libjpeg's guess), as GDCM and pydicom read it.
int triage_jpeg_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                       int bytesPerSample, int width, int height, int components, int storedAsRGB,
                       triage_codec_info *info);

/// JPEG-LS (lossless and near-lossless), through CharLS.
int triage_jpegls_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                         int bytesPerSample, int width, int height, int components, triage_codec_info *info);

/// JPEG 2000 (a J2K codestream or a JP2 file), through OpenJPEG; info->isSigned tells the samples'
/// sign as the codestream has it (2 bytes: two's complement when signed).
int triage_jpeg2000_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                           int bytesPerSample, int width, int height, int components, triage_codec_info *info);

#endif
