#ifndef TRIAGE_CPNG_SHIM_H
#define TRIAGE_CPNG_SHIM_H
// libpng reports errors by longjmp to a setjmp in the caller's frame; Swift
// cannot call setjmp, so the two calls that need it (decode and encode a whole
// image in memory) are small C functions here. No Swift frame is ever between
// the setjmp and the longjmp: the read/write callbacks below are C too.
#include <png.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// A decoded PNG: samples row-major and interleaved, 16-bit ones in host byte order.
typedef struct {
    unsigned int width;
    unsigned int height;
    int channels;            // 1 grey or 3 RGB (alpha is dropped, palettes expanded)
    int bitDepth;            // 8 or 16
    int colorType;           // the file's PNG colour type
    int fileBitDepth;        // the file's bit depth (1, 2, 4, 8 or 16)
    unsigned char *pixels;   // malloc'd; the caller frees it with triage_png_free
    size_t byteCount;
    char message[256];       // why decoding failed, when it did
} triage_png_image;

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
    triage_png_image *image;
    unsigned char **rows;
    unsigned char *buffer;   // growing output of the encoder
    size_t capacity;
} triage_png_io;

static void triage_png_error(png_structp png, png_const_charp message) {
    triage_png_io *io = (triage_png_io *)png_get_error_ptr(png);
    if (io && io->image) {
        strncpy(io->image->message, message ? message : "libpng error", sizeof(io->image->message) - 1);
        io->image->message[sizeof(io->image->message) - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void triage_png_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // benign (e.g. a bad ancillary chunk): keep decoding quietly
}

static void triage_png_read(png_structp png, png_bytep out, size_t count) {
    triage_png_io *io = (triage_png_io *)png_get_io_ptr(png);
    if (count > io->size - io->offset) png_error(png, "the file is truncated (ran out of data)");
    memcpy(out, io->data + io->offset, count);
    io->offset += count;
}

/// The bytes of filtered scanlines an image of this header needs (Adam7 passes when interlaced).
static inline size_t triage_png_raw_size(png_uint_32 width, png_uint_32 height, int bitsPerPixel, int interlaced) {
    if (!interlaced) return (size_t)height * (1 + ((size_t)width * bitsPerPixel + 7) / 8);
    static const int x0[7] = {0, 4, 0, 2, 0, 1, 0}, dx[7] = {8, 8, 4, 4, 2, 2, 1};
    static const int y0[7] = {0, 0, 4, 0, 2, 0, 1}, dy[7] = {8, 8, 8, 4, 4, 2, 2};
    size_t total = 0;
    for (int p = 0; p < 7; p++) {
        size_t w = width > (png_uint_32)x0[p] ? (width - x0[p] + dx[p] - 1) / dx[p] : 0;
        size_t h = height > (png_uint_32)y0[p] ? (height - y0[p] + dy[p] - 1) / dy[p] : 0;
        if (w && h) total += h * (1 + (w * bitsPerPixel + 7) / 8);
    }
    return total;
}

/// Inflates the IDAT stream of a whole PNG into a small scratch buffer, counting: 0 with a message
/// once it grows past `needed` bytes (libpng would inflate all of it at png_read_end, so a 64 x 64
/// image whose IDAT inflates to 1 GiB would cost seconds and be accepted), 1 otherwise. A damaged
/// chunk layout or stream is left for libpng to report.
static inline int triage_png_check_idat(const unsigned char *data, size_t size, size_t needed, char *message, size_t messageSize) {
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit(&z) != Z_OK) return 1;
    unsigned char scratch[16384];
    size_t offset = 8, produced = 0;
    int result = 1, done = 0;
    while (!done && size - offset >= 12) {
        size_t length = ((size_t)data[offset] << 24) | ((size_t)data[offset + 1] << 16) | ((size_t)data[offset + 2] << 8) | data[offset + 3];
        const unsigned char *type = data + offset + 4;
        if (length > size - offset - 12) break;
        if (memcmp(type, "IEND", 4) == 0) break;
        if (memcmp(type, "IDAT", 4) == 0) {
            z.next_in = (unsigned char *)(data + offset + 8);
            z.avail_in = (uInt)length;
            while (z.avail_in > 0 && !done) {
                z.next_out = scratch;
                z.avail_out = sizeof(scratch);
                int ret = inflate(&z, Z_NO_FLUSH);
                produced += sizeof(scratch) - z.avail_out;
                if (produced > needed) {
                    snprintf(message, messageSize, "the image data inflates past the %zu bytes its pixels need (a decompression bomb "
                             "or a damaged file); stopped after %zu", needed, produced);
                    result = 0;
                    done = 1;
                } else if (ret == Z_STREAM_END || (ret != Z_OK && ret != Z_BUF_ERROR) || (ret == Z_BUF_ERROR && z.avail_out > 0)) {
                    done = 1;
                }
            }
        }
        offset += length + 12;
    }
    inflateEnd(&z);
    return result;
}

/// Frees the pixels of a decoded image (safe on an image that failed).
static inline void triage_png_free(triage_png_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

/// Decodes a whole PNG held in memory: 1 on success, 0 with image->message on failure.
static inline int triage_png_decode(const unsigned char *data, size_t size, size_t maxPixels,
                                    triage_png_image *image) {
    memset(image, 0, sizeof(*image));
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        strcpy(image->message, "not a PNG file (bad signature)");
        return 0;
    }
    triage_png_io io;
    memset(&io, 0, sizeof(io));
    io.data = data; io.size = size; io.image = image;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &io, triage_png_error, triage_png_warning);
    if (!png) { strcpy(image->message, "libpng could not allocate a reader"); return 0; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        strcpy(image->message, "libpng could not allocate an info struct");
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(io.rows);
        triage_png_free(image);
        if (!image->message[0]) strcpy(image->message, "libpng failed");
        return 0;
    }
    png_set_read_fn(png, &io, triage_png_read);
    png_set_user_limits(png, 1u << 20, 1u << 20);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int colorType = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);
    image->colorType = colorType;
    image->fileBitDepth = depth;
    if ((size_t)width * (size_t)height > maxPixels) png_error(png, "the image has more pixels than the allowed maximum");
    int channelsInFile = colorType == PNG_COLOR_TYPE_RGB ? 3 : colorType == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                       : colorType == PNG_COLOR_TYPE_GRAY_ALPHA ? 2 : 1;
    size_t needed = triage_png_raw_size(width, height, channelsInFile * depth,
                                        png_get_interlace_type(png, info) != PNG_INTERLACE_NONE);
    if (!triage_png_check_idat(data, size, needed, image->message, sizeof(image->message))) {
        png_destroy_read_struct(&png, &info, NULL);
        return 0;
    }
    // Palette images are read as indices and expanded here: libpng would expand an index past the
    // palette to black without a word.
    png_colorp palette = NULL;
    int paletteCount = 0;
    if (colorType == PNG_COLOR_TYPE_PALETTE) {
        if (!png_get_PLTE(png, info, &palette, &paletteCount) || !palette) png_error(png, "a palette image without a palette (PLTE)");
        if (depth < 8) png_set_packing(png);
    }
    if (colorType == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (colorType & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (depth == 16) png_set_swap(png);
#endif
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    image->width = width;
    image->height = height;
    image->channels = png_get_channels(png, info);
    image->bitDepth = png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    if (rowBytes != (size_t)width * image->channels * (image->bitDepth / 8)) png_error(png, "unexpected row size after transforms");
    image->byteCount = rowBytes * height;
    image->pixels = (unsigned char *)malloc(image->byteCount ? image->byteCount : 1);
    io.rows = (unsigned char **)malloc(sizeof(unsigned char *) * (height ? height : 1));
    if (!image->pixels || !io.rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) io.rows[y] = image->pixels + (size_t)y * rowBytes;
    png_read_image(png, io.rows);
    if (palette) {
        size_t count = (size_t)width * height;
        for (size_t i = 0; i < count; i++) {
            if (image->pixels[i] >= paletteCount) {
                char message[160];
                snprintf(message, sizeof(message), "pixel (%zu, %zu) has palette index %d, past the %d colours of the palette",
                         i % width, i / width, image->pixels[i], paletteCount);
                png_error(png, message);
            }
        }
        unsigned char *rgb = (unsigned char *)malloc(count * 3 ? count * 3 : 1);
        if (!rgb) png_error(png, "out of memory");
        for (size_t i = 0; i < count; i++) {
            png_color c = palette[image->pixels[i]];
            rgb[3 * i] = c.red; rgb[3 * i + 1] = c.green; rgb[3 * i + 2] = c.blue;
        }
        free(image->pixels);
        image->pixels = rgb;
        image->channels = 3;
        image->byteCount = count * 3;
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(io.rows);
    return 1;
}

static void triage_png_write(png_structp png, png_bytep bytes, size_t count) {
    triage_png_io *io = (triage_png_io *)png_get_io_ptr(png);
    if (io->offset + count > io->capacity) {
        size_t capacity = io->capacity ? io->capacity : 4096;
        while (capacity < io->offset + count) capacity *= 2;
        unsigned char *grown = (unsigned char *)realloc(io->buffer, capacity);
        if (!grown) png_error(png, "out of memory");
        io->buffer = grown;
        io->capacity = capacity;
    }
    memcpy(io->buffer + io->offset, bytes, count);
    io->offset += count;
}

static void triage_png_flush(png_structp png) { (void)png; }

/// Encodes samples (row-major, interleaved, 16-bit in host order) as a PNG in memory.
/// 1 on success with *out (malloc'd, free with free()) and *outSize; 0 with message on failure.
static inline int triage_png_encode(const unsigned char *pixels, unsigned int width, unsigned int height,
                                    int channels, int bitDepth, unsigned char **out, size_t *outSize,
                                    char *message, size_t messageSize) {
    triage_png_image status;
    memset(&status, 0, sizeof(status));
    triage_png_io io;
    memset(&io, 0, sizeof(io));
    io.image = &status;
    *out = NULL; *outSize = 0;
    if ((channels != 1 && channels != 3) || (bitDepth != 8 && bitDepth != 16) || width == 0 || height == 0) {
        strncpy(message, "only 8- or 16-bit grey or RGB images of positive size can be written", messageSize - 1);
        return 0;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, triage_png_error, triage_png_warning);
    if (!png) { strncpy(message, "libpng could not allocate a writer", messageSize - 1); return 0; }
    png_infop info = png_create_info_struct(png);
    if (!info) { png_destroy_write_struct(&png, NULL); strncpy(message, "libpng could not allocate an info struct", messageSize - 1); return 0; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(io.rows);
        free(io.buffer);
        strncpy(message, status.message[0] ? status.message : "libpng failed", messageSize - 1);
        return 0;
    }
    png_set_write_fn(png, &io, triage_png_write, triage_png_flush);
    png_set_IHDR(png, info, width, height, bitDepth, channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (bitDepth == 16) png_set_swap(png);
#endif
    size_t rowBytes = (size_t)width * channels * (bitDepth / 8);
    io.rows = (unsigned char **)malloc(sizeof(unsigned char *) * height);
    if (!io.rows) png_error(png, "out of memory");
    for (unsigned int y = 0; y < height; y++) io.rows[y] = (unsigned char *)pixels + (size_t)y * rowBytes;
    png_write_image(png, io.rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(io.rows);
    *out = io.buffer;
    *outSize = io.offset;
    return 1;
}

#endif
