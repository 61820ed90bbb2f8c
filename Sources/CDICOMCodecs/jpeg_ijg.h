// One JPEG decoder body over the IJG API, compiled once per library (jpeg_turbo.c, jpeg_gdcm*.c):
// each includes its own jpeglib.h and defines TRIAGE_JPEG_FUNCTION first. The IJG libraries report
// errors by longjmp; no Swift frame is ever between the setjmp here and the longjmp.
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "include/dicom_codecs.h"

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    triage_codec_info *info;
} triage_jpeg_error;

static void triage_jpeg_error_exit(j_common_ptr cinfo) {
    triage_jpeg_error *e = (triage_jpeg_error *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(e->info->message, sizeof(e->info->message), "JPEG: %s", text);
    longjmp(e->jump, 1);
}

// Warnings (e.g. a corrupt entropy segment that the decoder recovers from) are not errors:
// the libraries go on as every viewer does.
static void triage_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static const JOCTET triage_jpeg_eoi[2] = {0xFF, 0xD9};
static void triage_jpeg_init_source(j_decompress_ptr cinfo) { (void)cinfo; }
static boolean triage_jpeg_fill_input(j_decompress_ptr cinfo) {
    // Past the end: an EOI marker, as the IJG examples do, so a truncated stream ends.
    cinfo->src->next_input_byte = triage_jpeg_eoi;
    cinfo->src->bytes_in_buffer = 2;
    return TRUE;
}
static void triage_jpeg_skip(j_decompress_ptr cinfo, long count) {
    if (count <= 0) return;
    if ((size_t)count > cinfo->src->bytes_in_buffer) {
        triage_jpeg_fill_input(cinfo);
    } else {
        cinfo->src->next_input_byte += count;
        cinfo->src->bytes_in_buffer -= (size_t)count;
    }
}
static void triage_jpeg_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

int TRIAGE_JPEG_FUNCTION(const unsigned char *data, size_t size, unsigned char *out, size_t outSize,
                         int bytesPerSample, int width, int height, int components, int storedAsRGB,
                         triage_codec_info *info) {
    struct jpeg_decompress_struct cinfo;
    triage_jpeg_error error;
    struct jpeg_source_mgr source;
    JSAMPARRAY row = NULL;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = triage_jpeg_error_exit;
    error.base.output_message = triage_jpeg_output_message;
    error.info = info;
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    jpeg_create_decompress(&cinfo);
    source.next_input_byte = data;
    source.bytes_in_buffer = size;
    source.init_source = triage_jpeg_init_source;
    source.fill_input_buffer = triage_jpeg_fill_input;
    source.skip_input_data = triage_jpeg_skip;
    source.resync_to_restart = jpeg_resync_to_restart;
    source.term_source = triage_jpeg_term_source;
    cinfo.src = &source;
    jpeg_read_header(&cinfo, TRUE);
    info->width = (int)cinfo.image_width;
    info->height = (int)cinfo.image_height;
    info->components = cinfo.num_components;
    info->precision = cinfo.data_precision;
    if ((int)cinfo.image_width != width || (int)cinfo.image_height != height || cinfo.num_components != components) {
        snprintf(info->message, sizeof(info->message), "the JPEG stream is %u x %u with %d components; the header says %d x %d with %d",
                 cinfo.image_width, cinfo.image_height, cinfo.num_components, width, height, components);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
#ifdef TRIAGE_JPEG_LOSSLESS
    (void)storedAsRGB;
    // Lossless samples are the stored values: never colour-converted.
    cinfo.jpeg_color_space = JCS_UNKNOWN;
    cinfo.out_color_space = JCS_UNKNOWN;
#else
    if (components == 3) {
        if (storedAsRGB && !cinfo.saw_JFIF_marker && !cinfo.saw_Adobe_marker) cinfo.jpeg_color_space = JCS_RGB;
        cinfo.out_color_space = JCS_RGB;
    }
#endif
    jpeg_start_decompress(&cinfo);
    size_t rowSamples = (size_t)cinfo.output_width * cinfo.output_components;
    if ((int)cinfo.output_width != width || (int)cinfo.output_height != height || cinfo.output_components != components
        || rowSamples * (size_t)height * (size_t)bytesPerSample > outSize) {
        snprintf(info->message, sizeof(info->message), "the JPEG decoder gives %u x %u x %d samples, not the %d x %d x %d expected",
                 cinfo.output_width, cinfo.output_height, cinfo.output_components, width, height, components);
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, (JDIMENSION)rowSamples, 1);
    while (cinfo.output_scanline < cinfo.output_height) {
        size_t y = cinfo.output_scanline;
        if (jpeg_read_scanlines(&cinfo, row, 1) != 1) break;
        if (bytesPerSample == 1) {
            unsigned char *dst = out + y * rowSamples;
            for (size_t i = 0; i < rowSamples; i++) dst[i] = (unsigned char)row[0][i];
        } else {
            unsigned short *dst = (unsigned short *)(out + y * rowSamples * 2);
            for (size_t i = 0; i < rowSamples; i++) dst[i] = (unsigned short)row[0][i];
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 1;
}
