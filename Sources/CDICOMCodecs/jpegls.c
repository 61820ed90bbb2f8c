// JPEG-LS (lossless and near-lossless): CharLS.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <charls/charls.h>
#include "include/dicom_codecs.h"

int triage_jpegls_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                         int bytesPerSample, int width, int height, int components, triage_codec_info *info) {
    memset(info, 0, sizeof(*info));
    charls_jpegls_decoder *decoder = charls_jpegls_decoder_create();
    if (!decoder) { snprintf(info->message, sizeof(info->message), "CharLS could not allocate a decoder"); return 0; }
    int ok = 0;
    charls_frame_info frame;
    charls_interleave_mode mode = CHARLS_INTERLEAVE_MODE_NONE;
    size_t needed = 0;
    unsigned char *planar = NULL;
    charls_jpegls_errc e = charls_jpegls_decoder_set_source_buffer(decoder, data, size);
    if (!e) e = charls_jpegls_decoder_read_header(decoder);
    if (!e) e = charls_jpegls_decoder_get_frame_info(decoder, &frame);
    if (!e) e = charls_jpegls_decoder_get_interleave_mode(decoder, &mode);
    if (e) {
        snprintf(info->message, sizeof(info->message), "JPEG-LS: %s", charls_get_error_message(e));
        goto done;
    }
    info->width = (int)frame.width; info->height = (int)frame.height;
    info->components = frame.component_count; info->precision = frame.bits_per_sample;
    if ((int)frame.width != width || (int)frame.height != height || frame.component_count != components
        || (frame.bits_per_sample > 8 ? 2 : 1) != bytesPerSample) {
        snprintf(info->message, sizeof(info->message), "the JPEG-LS stream is %u x %u x %d at %d bits; the header says %d x %d x %d at %d bits allocated",
                 frame.width, frame.height, frame.component_count, frame.bits_per_sample, width, height, components, bytesPerSample * 8);
        goto done;
    }
    e = charls_jpegls_decoder_get_destination_size(decoder, 0, &needed);
    if (e || needed != outSize) {
        snprintf(info->message, sizeof(info->message), "JPEG-LS: the decoded frame needs %zu bytes, %zu expected", needed, outSize);
        goto done;
    }
    // Interleave mode none gives one plane per component: decoded aside, then interleaved.
    int planes = mode == CHARLS_INTERLEAVE_MODE_NONE && components > 1;
    unsigned char *target = out;
    if (planes) {
        planar = (unsigned char *)malloc(outSize);
        if (!planar) { snprintf(info->message, sizeof(info->message), "out of memory"); goto done; }
        target = planar;
    }
    e = charls_jpegls_decoder_decode_to_buffer(decoder, target, outSize, 0);
    if (e) { snprintf(info->message, sizeof(info->message), "JPEG-LS: %s", charls_get_error_message(e)); goto done; }
    if (planes) {
        size_t pixels = (size_t)width * height;
        for (int c = 0; c < components; c++)
            for (size_t i = 0; i < pixels; i++)
                memcpy(out + (i * components + c) * bytesPerSample, planar + (c * pixels + i) * bytesPerSample, bytesPerSample);
    }
    ok = 1;
done:
    free(planar);
    charls_jpegls_decoder_destroy(decoder);
    return ok;
}
