#ifndef VIDPIPE_CFFMPEG_SHIM_H
#define VIDPIPE_CFFMPEG_SHIM_H

// The FFmpeg headers vidpipe uses, plus small inline wrappers for what Swift cannot import:
// function-like macros (AVERROR, av_err2str), macro constants built from expressions
// (AVERROR_EOF, AV_NOPTS_VALUE, AV_CHANNEL_LAYOUT_MONO) and the fixed-size pointer arrays
// that sws_scale and swr_convert take.

#include <errno.h>
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>

static inline int vp_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int vp_averror_eof(void) { return AVERROR_EOF; }
static inline int vp_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int vp_averror_enomem(void) { return AVERROR(ENOMEM); }
static inline int64_t vp_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline AVRational vp_time_base_q(void) { return AV_TIME_BASE_Q; }

/// Fills `buf` (at least AV_ERROR_MAX_STRING_SIZE bytes) with FFmpeg's message for `code`.
static inline const char *vp_err2str(int code, char *buf, size_t size) {
    av_strerror(code, buf, size);
    return buf;
}

static inline AVChannelLayout vp_channel_layout_mono(void) {
    AVChannelLayout layout = AV_CHANNEL_LAYOUT_MONO;
    return layout;
}

/// sws_scale with a single-plane packed destination (RGB24, GRAY8, ...).
static inline int vp_sws_scale_packed(struct SwsContext *ctx, const AVFrame *src,
                                      uint8_t *dst, int dstStride) {
    uint8_t *dstData[4] = { dst, NULL, NULL, NULL };
    int dstLinesize[4] = { dstStride, 0, 0, 0 };
    return sws_scale(ctx, (const uint8_t * const *)src->data, src->linesize, 0, src->height,
                     dstData, dstLinesize);
}

/// sws_scale from a frame into another frame (e.g. RGB24 -> YUVJ420P for the MJPEG encoder).
static inline int vp_sws_scale_frame(struct SwsContext *ctx, const AVFrame *src, AVFrame *dst) {
    return sws_scale(ctx, (const uint8_t * const *)src->data, src->linesize, 0, src->height,
                     dst->data, dst->linesize);
}

/// sws_scale from a packed source buffer into a frame.
static inline int vp_sws_scale_from_packed(struct SwsContext *ctx, const uint8_t *src, int srcStride,
                                           int srcHeight, AVFrame *dst) {
    const uint8_t *srcData[4] = { src, NULL, NULL, NULL };
    int srcLinesize[4] = { srcStride, 0, 0, 0 };
    return sws_scale(ctx, srcData, srcLinesize, 0, srcHeight, dst->data, dst->linesize);
}

/// swr_convert from a decoded frame into a single packed (or mono) output buffer.
static inline int vp_swr_convert_frame(struct SwrContext *ctx, uint8_t *out, int outCount,
                                       const AVFrame *in) {
    uint8_t *outData[1] = { out };
    if (in == NULL) {
        return swr_convert(ctx, outData, outCount, NULL, 0);
    }
    return swr_convert(ctx, outData, outCount, (const uint8_t **)in->extended_data, in->nb_samples);
}

/// The display-matrix rotation of a stream in degrees (counter-clockwise, as av_display_rotation_get
/// reports it), or 0 when the stream has none.
static inline double vp_stream_rotation(const AVStream *st) {
    const uint8_t *matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (matrix == NULL) return 0;
    double r = av_display_rotation_get((const int32_t *)matrix);
    return r != r ? 0 : r; // NaN -> 0
}

static inline void vp_set_log_quiet(void) { av_log_set_level(AV_LOG_QUIET); }

#endif
