#ifndef QCS_CPNG_SHIM_H
#define QCS_CPNG_SHIM_H
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <png.h>

/*
 * libpng reports a fatal error by longjmp to the caller's setjmp. Swift cannot catch a longjmp,
 * so decoding runs entirely in these C functions: the error callback records libpng's message and
 * jumps back to a setjmp inside the same C function, which cleans up and returns an error code.
 * Encoding uses libpng's simplified API, which reports errors by return value on its own.
 */

enum {
    QCS_PNG_OK = 0,
    /* libpng refused the data; the message says why. */
    QCS_PNG_ERROR = 1,
    /* The header declares more pixels than the caller allows. */
    QCS_PNG_TOO_LARGE = 2,
    /* malloc failed. */
    QCS_PNG_NO_MEMORY = 3
};

typedef struct qcs_png_source {
    const unsigned char *data;
    size_t size;
    size_t offset;
    /* Set once every row has been decoded: trouble in the chunks after the image data (a missing
       IEND, say) loses no pixels, so it does not fail the file. */
    int all_rows_read;
    char message[256];
} qcs_png_source;

static inline void qcs_png_read_bytes(png_structp png, png_bytep out, size_t length) {
    qcs_png_source *src = (qcs_png_source *)png_get_io_ptr(png);
    if (length > src->size - src->offset) png_error(png, "file is truncated (data ends early)");
    memcpy(out, src->data + src->offset, length);
    src->offset += length;
}

static inline void qcs_png_error(png_structp png, png_const_charp text) {
    qcs_png_source *src = (qcs_png_source *)png_get_error_ptr(png);
    strncpy(src->message, text, sizeof src->message - 1);
    src->message[sizeof src->message - 1] = 0;
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, which libpng skips) do not affect the pixels. */
static inline void qcs_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

static inline void qcs_png_copy_message(char *dst, size_t capacity, const char *src) {
    if (capacity == 0) return;
    strncpy(dst, src, capacity - 1);
    dst[capacity - 1] = 0;
}

/*
 * Decodes a whole PNG held in memory to interleaved 8-bit RGB: grey (1-16 bit) is replicated,
 * palettes expanded, 16-bit samples reduced to their high byte, alpha and tRNS dropped (not
 * composited), gamma chunks ignored. On QCS_PNG_OK, *pixels is a malloc'ed width*height*3 buffer
 * the caller frees with free(). On failure nothing is allocated and message holds the reason.
 */
static inline int qcs_png_decode_rgb(const unsigned char *data, size_t size, unsigned long max_pixels,
                                     unsigned char **pixels, unsigned int *width, unsigned int *height,
                                     char *message, size_t message_capacity) {
    qcs_png_source src;
    png_structp png;
    png_infop info;
    /* Both live across setjmp and change after it, so they must not sit in registers. */
    unsigned char *volatile rgb = NULL;
    png_bytep *volatile rows = NULL;

    *pixels = NULL; *width = 0; *height = 0;
    src.data = data; src.size = size; src.offset = 0; src.all_rows_read = 0; src.message[0] = 0;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, qcs_png_error, qcs_png_warning);
    if (png == NULL) {
        qcs_png_copy_message(message, message_capacity, "out of memory");
        return QCS_PNG_NO_MEMORY;
    }
    /* Created before setjmp: the error path needs it, and it must not change after setjmp. */
    info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        qcs_png_copy_message(message, message_capacity, "out of memory");
        return QCS_PNG_NO_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        if (src.all_rows_read) {
            png_destroy_read_struct(&png, &info, NULL);
            free(rows);
            *pixels = rgb;
            return QCS_PNG_OK;
        }
        qcs_png_copy_message(message, message_capacity, src.message);
        png_destroy_read_struct(&png, &info, NULL);
        free(rgb);
        free(rows);
        *width = 0; *height = 0;
        return QCS_PNG_ERROR;
    }
    png_set_read_fn(png, &src, qcs_png_read_bytes);
    png_read_info(png, info);

    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if ((unsigned long)w * h > max_pixels) {
        snprintf(message, message_capacity, "%ux%u pixels is more than the %lu allowed",
                 (unsigned)w, (unsigned)h, max_pixels);
        *width = w; *height = h;
        png_destroy_read_struct(&png, &info, NULL);
        return QCS_PNG_TOO_LARGE;
    }
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (bit_depth == 16) png_set_strip_16(png);
    /* Unconditional: it also stops palette expansion from turning a tRNS chunk into alpha. */
    png_set_strip_alpha(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) png_error(png, "unsupported pixel layout");

    rgb = (unsigned char *)malloc((size_t)w * h * 3 + 1);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * ((size_t)h + 1));
    if (rgb == NULL || rows == NULL) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = rgb + (size_t)y * w * 3;
    *width = w; *height = h;
    png_read_image(png, rows);
    src.all_rows_read = 1;
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    *pixels = rgb;
    return QCS_PNG_OK;
}

/*
 * Encodes interleaved 8-bit RGB as a PNG (libpng's default compression). On QCS_PNG_OK, *data is
 * a malloc'ed buffer of *size bytes the caller frees with free().
 */
static inline int qcs_png_encode_rgb(const unsigned char *pixels, unsigned int width, unsigned int height,
                                     unsigned char **data, size_t *size,
                                     char *message, size_t message_capacity) {
    png_image image;
    *data = NULL; *size = 0;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    size_t needed = 0;
    /* First call sizes the output, second writes it. */
    if (!png_image_write_to_memory(&image, NULL, &needed, 0, pixels, 0, NULL)) {
        qcs_png_copy_message(message, message_capacity, image.message);
        png_image_free(&image);
        return QCS_PNG_ERROR;
    }
    unsigned char *buffer = (unsigned char *)malloc(needed + 1);
    if (buffer == NULL) {
        qcs_png_copy_message(message, message_capacity, "out of memory");
        return QCS_PNG_NO_MEMORY;
    }
    if (!png_image_write_to_memory(&image, buffer, &needed, 0, pixels, 0, NULL)) {
        qcs_png_copy_message(message, message_capacity, image.message);
        png_image_free(&image);
        free(buffer);
        return QCS_PNG_ERROR;
    }
    *data = buffer; *size = needed;
    return QCS_PNG_OK;
}

#endif
