// JPEG 2000: OpenJPEG, from memory.
#include <stdio.h>
#include <string.h>
#include <openjpeg-2.5/openjpeg.h>
#include "include/dicom_codecs.h"

typedef struct { const unsigned char *data; OPJ_SIZE_T size, offset; } triage_j2k_source;

static OPJ_SIZE_T triage_j2k_read(void *buffer, OPJ_SIZE_T count, void *user) {
    triage_j2k_source *s = (triage_j2k_source *)user;
    if (s->offset >= s->size) return (OPJ_SIZE_T)-1;
    OPJ_SIZE_T n = s->size - s->offset < count ? s->size - s->offset : count;
    memcpy(buffer, s->data + s->offset, n);
    s->offset += n;
    return n;
}
static OPJ_OFF_T triage_j2k_skip(OPJ_OFF_T count, void *user) {
    triage_j2k_source *s = (triage_j2k_source *)user;
    if (count < 0) { if ((OPJ_SIZE_T)(-count) > s->offset) return -1; s->offset -= (OPJ_SIZE_T)(-count); return count; }
    if ((OPJ_SIZE_T)count > s->size - s->offset) count = (OPJ_OFF_T)(s->size - s->offset);
    s->offset += (OPJ_SIZE_T)count;
    return count;
}
static OPJ_BOOL triage_j2k_seek(OPJ_OFF_T position, void *user) {
    triage_j2k_source *s = (triage_j2k_source *)user;
    if (position < 0 || (OPJ_SIZE_T)position > s->size) return OPJ_FALSE;
    s->offset = (OPJ_SIZE_T)position;
    return OPJ_TRUE;
}
static void triage_j2k_error(const char *message, void *user) {
    triage_codec_info *info = (triage_codec_info *)user;
    if (!info->message[0]) {
        snprintf(info->message, sizeof(info->message), "JPEG 2000: %s", message);
        size_t n = strlen(info->message);
        while (n && (info->message[n - 1] == '\n' || info->message[n - 1] == ' ')) info->message[--n] = 0;
    }
}
static void triage_j2k_quiet(const char *message, void *user) { (void)message; (void)user; }

int triage_jpeg2000_decode(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                           int bytesPerSample, int width, int height, int components, triage_codec_info *info) {
    memset(info, 0, sizeof(*info));
    static const unsigned char jp2[12] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' ', 0x0D, 0x0A, 0x87, 0x0A};
    OPJ_CODEC_FORMAT format = size >= 12 && memcmp(data, jp2, 12) == 0 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K;
    if (format == OPJ_CODEC_J2K && (size < 4 || data[0] != 0xFF || data[1] != 0x4F)) {
        snprintf(info->message, sizeof(info->message), "not a JPEG 2000 codestream (no SOC marker FF4F, nor a JP2 signature)");
        return 0;
    }
    triage_j2k_source source = {data, size, 0};
    opj_codec_t *codec = opj_create_decompress(format);
    opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_image_t *image = NULL;
    int ok = 0;
    if (!codec || !stream) { snprintf(info->message, sizeof(info->message), "OpenJPEG could not allocate a decoder"); goto done; }
    opj_set_error_handler(codec, triage_j2k_error, info);
    opj_set_warning_handler(codec, triage_j2k_quiet, info);
    opj_set_info_handler(codec, triage_j2k_quiet, info);
    opj_stream_set_user_data(stream, &source, NULL);
    opj_stream_set_user_data_length(stream, size);
    opj_stream_set_read_function(stream, triage_j2k_read);
    opj_stream_set_skip_function(stream, triage_j2k_skip);
    opj_stream_set_seek_function(stream, triage_j2k_seek);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    if (!opj_setup_decoder(codec, &parameters) || !opj_read_header(stream, codec, &image) || !image) {
        if (!info->message[0]) snprintf(info->message, sizeof(info->message), "JPEG 2000: the header cannot be read");
        goto done;
    }
    info->components = (int)image->numcomps;
    if (image->numcomps > 0) {
        info->width = (int)image->comps[0].w; info->height = (int)image->comps[0].h;
        info->precision = (int)image->comps[0].prec; info->isSigned = (int)image->comps[0].sgnd;
    }
    if ((int)image->numcomps != components || (int)(image->x1 - image->x0) != width || (int)(image->y1 - image->y0) != height) {
        snprintf(info->message, sizeof(info->message), "the JPEG 2000 image is %u x %u with %u components; the header says %d x %d with %d",
                 image->x1 - image->x0, image->y1 - image->y0, image->numcomps, width, height, components);
        goto done;
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        if (!info->message[0]) snprintf(info->message, sizeof(info->message), "JPEG 2000: the codestream cannot be decoded");
        goto done;
    }
    for (int c = 0; c < components; c++) {
        opj_image_comp_t *comp = &image->comps[c];
        if ((int)comp->w != width || (int)comp->h != height || comp->dx != 1 || comp->dy != 1 || !comp->data
            || comp->prec < 1 || comp->prec > (OPJ_UINT32)(bytesPerSample * 8)) {
            snprintf(info->message, sizeof(info->message), "JPEG 2000 component %d is %u x %u (step %u x %u) at %u bits; %d x %d at up to %d bits expected",
                     c, comp->w, comp->h, comp->dx, comp->dy, comp->prec, width, height, bytesPerSample * 8);
            goto done;
        }
    }
    if ((size_t)width * height * components * bytesPerSample > outSize) {
        snprintf(info->message, sizeof(info->message), "JPEG 2000: the output buffer is too small");
        goto done;
    }
    size_t pixels = (size_t)width * height;
    for (int c = 0; c < components; c++) {
        const OPJ_INT32 *src = image->comps[c].data;
        if (bytesPerSample == 1) {
            for (size_t i = 0; i < pixels; i++) out[i * components + c] = (unsigned char)src[i];
        } else {
            unsigned short *dst = (unsigned short *)out;
            for (size_t i = 0; i < pixels; i++) dst[i * components + c] = (unsigned short)src[i];
        }
    }
    ok = 1;
done:
    if (image) opj_image_destroy(image);
    if (stream) opj_stream_destroy(stream);
    if (codec) opj_destroy_codec(codec);
    return ok;
}
