// JPEG: reads the SOF marker to choose the library that decodes the stream.
#include <stdio.h>
#include <string.h>
#include "include/dicom_codecs.h"

int triage_jpeg_turbo_decode(const unsigned char *, size_t, unsigned char *, size_t, int, int, int, int, int, triage_codec_info *);
int triage_jpeg_gdcm8_decode(const unsigned char *, size_t, unsigned char *, size_t, int, int, int, int, int, triage_codec_info *);
int triage_jpeg_gdcm12_decode(const unsigned char *, size_t, unsigned char *, size_t, int, int, int, int, int, triage_codec_info *);
int triage_jpeg_gdcm16_decode(const unsigned char *, size_t, unsigned char *, size_t, int, int, int, int, int, triage_codec_info *);

/// The first SOF marker's type (0xC0...0xCF less DHT/JPG/DAC) and precision; 0 when there is none.
static int triage_jpeg_sof(const unsigned char *data, size_t size, int *precision) {
    size_t i = 2;
    if (size < 4 || data[0] != 0xFF || data[1] != 0xD8) return 0;
    while (i + 4 <= size) {
        if (data[i] != 0xFF) return 0;
        unsigned char marker = data[i + 1];
        if (marker == 0xFF) { i++; continue; }   // fill byte
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
        size_t length = ((size_t)data[i + 2] << 8) | data[i + 3];
        if (length < 2) return 0;
        if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (i + 4 >= size) return 0;
            *precision = data[i + 4];
            return marker;
        }
        if (marker == 0xDA || marker == 0xD9) return 0;
        i += 2 + length;
    }
    return 0;
}

int triage_jpeg_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                       int bytesPerSample, int width, int height, int components, int storedAsRGB, triage_codec_info *info) {
    memset(info, 0, sizeof(*info));
    int precision = 0;
    int sof = triage_jpeg_sof(data, size, &precision);
    if (!sof) {
        snprintf(info->message, sizeof(info->message), "not a JPEG stream (no SOI, or no frame header before the scan)");
        return 0;
    }
    info->precision = precision;
    int lossless = sof == 0xC3 || sof == 0xC7 || sof == 0xCB || sof == 0xCF;
    info->lossless = lossless;
    if (sof >= 0xC9 || sof == 0xC5 || sof == 0xC6 || sof == 0xC7) {
        snprintf(info->message, sizeof(info->message), "JPEG frame type SOF%d (arithmetic or hierarchical coding) is not supported", sof - 0xC0);
        return 0;
    }
    // 8-bit samples may sit in 16 bits allocated (they are widened); wider ones need 16.
    int need = precision > 8 ? 2 : 1;
    if (bytesPerSample < need || bytesPerSample > 2) {
        snprintf(info->message, sizeof(info->message), "the JPEG stream has %d-bit samples but the header allocates %d bits",
                 precision, bytesPerSample * 8);
        return 0;
    }
    if (lossless) {
        if (precision < 2 || precision > 16) goto bad_precision;
        return precision <= 8 ? triage_jpeg_gdcm8_decode(data, size, out, outSize, bytesPerSample, width, height, components, storedAsRGB, info)
                              : triage_jpeg_gdcm16_decode(data, size, out, outSize, bytesPerSample, width, height, components, storedAsRGB, info);
    }
    if (precision == 8) return triage_jpeg_turbo_decode(data, size, out, outSize, bytesPerSample, width, height, components, storedAsRGB, info);
    if (precision == 12) return triage_jpeg_gdcm12_decode(data, size, out, outSize, bytesPerSample, width, height, components, storedAsRGB, info);
bad_precision:
    snprintf(info->message, sizeof(info->message), "JPEG precision %d is not valid for this process (8 or 12 lossy, 2-16 lossless)", precision);
    return 0;
}
