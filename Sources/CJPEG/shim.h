#ifndef QCS_CJPEG_SHIM_H
#define QCS_CJPEG_SHIM_H
/* jpeglib.h expects FILE and size_t to be declared first. */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

/*
 * libjpeg reports a fatal error by calling error_exit, which by default prints and calls exit().
 * Swift cannot catch a longjmp, so decoding and encoding run entirely in these C functions:
 * error_exit jumps back to a setjmp inside the same C function, which cleans up and returns an
 * error code with libjpeg's message. No Swift frame is ever between setjmp and longjmp.
 */

enum {
    QCS_JPEG_OK = 0,
    /* libjpeg refused the data; the message says why. */
    QCS_JPEG_ERROR = 1,
    /* The header declares more pixels than the caller allows. */
    QCS_JPEG_TOO_LARGE = 2,
    /* malloc failed. */
    QCS_JPEG_NO_MEMORY = 3
};

typedef struct qcs_jpeg_error_manager {
    struct jpeg_error_mgr base;
    jmp_buf escape;
    char message[JMSG_LENGTH_MAX];
} qcs_jpeg_error_manager;

static inline void qcs_jpeg_error_exit(j_common_ptr cinfo) {
    qcs_jpeg_error_manager *err = (qcs_jpeg_error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->escape, 1);
}

/* Warnings (level -1) that mean the data is damaged end the decoding as errors, as Pillow
   treats them: libjpeg would fill what it could not decode with grey and call it a success.
   Running out of data (a truncated file: the entropy decoder reads ahead, so even a file missing
   only its end-of-image marker stops here), a marker inside the scan (a header claiming more rows
   than the data holds), lost synchronisation and bad Huffman codes. Other warnings (extraneous
   bytes between segments, odd but intact) are counted. */
static inline void qcs_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) {
        switch (cinfo->err->msg_code) {
        case JWRN_JPEG_EOF: case JWRN_HIT_MARKER: case JWRN_MUST_RESYNC: case JWRN_HUFF_BAD_CODE:
        case JWRN_NOT_SEQUENTIAL: case JWRN_BOGUS_PROGRESSION:
            qcs_jpeg_error_exit(cinfo);
            break;
        default:
            cinfo->err->num_warnings++;
        }
    }
}

/* Messages are returned to the caller, never printed. */
static inline void qcs_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static inline void qcs_jpeg_install_errors(qcs_jpeg_error_manager *err) {
    jpeg_std_error(&err->base);
    err->base.error_exit = qcs_jpeg_error_exit;
    err->base.emit_message = qcs_jpeg_emit_message;
    err->base.output_message = qcs_jpeg_output_message;
    err->message[0] = 0;
}

static inline void qcs_jpeg_copy_message(char *dst, size_t capacity, const char *src) {
    if (capacity == 0) return;
    strncpy(dst, src, capacity - 1);
    dst[capacity - 1] = 0;
}

/* CMYK/YCCK rows (Photoshop writes them inverted, flagged by its Adobe marker) to RGB. */
static inline void qcs_jpeg_cmyk_row_to_rgb(const unsigned char *cmyk, unsigned char *rgb,
                                            unsigned int width, int inverted) {
    for (unsigned int x = 0; x < width; x++) {
        unsigned int c = cmyk[4 * x], m = cmyk[4 * x + 1], y = cmyk[4 * x + 2], k = cmyk[4 * x + 3];
        if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
        rgb[3 * x] = (unsigned char)((c * k + 127) / 255);
        rgb[3 * x + 1] = (unsigned char)((m * k + 127) / 255);
        rgb[3 * x + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

/*
 * Decodes a whole JPEG held in memory to interleaved 8-bit RGB (grey and CMYK converted).
 * On QCS_JPEG_OK, *pixels is a malloc'ed width*height*3 buffer the caller frees with free().
 * On failure nothing is allocated and message holds the reason.
 */
static inline int qcs_jpeg_decode_rgb(const unsigned char *data, unsigned long size,
                                      unsigned long max_pixels,
                                      unsigned char **pixels, unsigned int *width, unsigned int *height,
                                      char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    qcs_jpeg_error_manager err;
    /* Both live across setjmp and change after it, so they must not sit in registers. */
    unsigned char *volatile rgb = NULL;
    unsigned char *volatile cmyk_row = NULL;

    *pixels = NULL; *width = 0; *height = 0;
    memset(&cinfo, 0, sizeof cinfo);
    qcs_jpeg_install_errors(&err);
    cinfo.err = &err.base;
    if (setjmp(err.escape)) {
        qcs_jpeg_copy_message(message, message_capacity, err.message);
        jpeg_destroy_decompress(&cinfo);
        free(rgb);
        free(cmyk_row);
        return QCS_JPEG_ERROR;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, size);
    jpeg_read_header(&cinfo, TRUE);
    int is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = is_cmyk ? JCS_CMYK : JCS_RGB;
    if ((unsigned long)cinfo.image_width * cinfo.image_height > max_pixels) {
        snprintf(message, message_capacity, "%ux%u pixels is more than the %lu allowed",
                 cinfo.image_width, cinfo.image_height, max_pixels);
        *width = cinfo.image_width; *height = cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return QCS_JPEG_TOO_LARGE;
    }
    jpeg_start_decompress(&cinfo);
    unsigned int w = cinfo.output_width, h = cinfo.output_height;
    rgb = (unsigned char *)malloc((size_t)w * h * 3 + 1);
    if (is_cmyk) cmyk_row = (unsigned char *)malloc((size_t)w * 4 + 1);
    if (rgb == NULL || (is_cmyk && cmyk_row == NULL)) {
        qcs_jpeg_copy_message(message, message_capacity, "out of memory");
        jpeg_destroy_decompress(&cinfo);
        free(rgb);
        free(cmyk_row);
        return QCS_JPEG_NO_MEMORY;
    }
    while (cinfo.output_scanline < h) {
        unsigned char *row = rgb + (size_t)cinfo.output_scanline * w * 3;
        if (is_cmyk) {
            JSAMPROW target = cmyk_row;
            jpeg_read_scanlines(&cinfo, &target, 1);
            qcs_jpeg_cmyk_row_to_rgb(cmyk_row, row, w, cinfo.saw_Adobe_marker);
        } else {
            JSAMPROW target = row;
            jpeg_read_scanlines(&cinfo, &target, 1);
        }
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    *pixels = rgb; *width = w; *height = h;
    return QCS_JPEG_OK;
}

/*
 * Encodes interleaved 8-bit RGB as a baseline JPEG (4:2:0, libjpeg's quality scale 1-100).
 * On QCS_JPEG_OK, *data is a malloc'ed buffer of *size bytes the caller frees with free().
 */
static inline int qcs_jpeg_encode_rgb(const unsigned char *pixels, unsigned int width, unsigned int height,
                                      int quality, unsigned char **data, unsigned long *size,
                                      char *message, size_t message_capacity) {
    struct jpeg_compress_struct cinfo;
    qcs_jpeg_error_manager err;

    /* jpeg_mem_dest allocates *data itself and updates it through this pointer, so after a
       longjmp *data holds whatever it last allocated. */
    *data = NULL; *size = 0;
    memset(&cinfo, 0, sizeof cinfo);
    qcs_jpeg_install_errors(&err);
    cinfo.err = &err.base;
    if (setjmp(err.escape)) {
        qcs_jpeg_copy_message(message, message_capacity, err.message);
        jpeg_destroy_compress(&cinfo);
        free(*data);
        *data = NULL; *size = 0;
        return QCS_JPEG_ERROR;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, data, size);
    cinfo.image_width = width;
    cinfo.image_height = height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)cinfo.next_scanline * width * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    return QCS_JPEG_OK;
}

#endif
