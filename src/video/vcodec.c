/*
 * Video decoders and encoders (vcodec.h): VP8 and VP9 through libvpx,
 * H.264 through libavcodec (its own decoder; libx264 to encode), and the
 * I420 pictures between them. Each object belongs to one thread at a
 * time (the composer's, or the test peer's); the libraries' logging is
 * silenced once for the process, since a decoder fed a broken stream
 * would otherwise write a line per packet.
 *
 * Settings are for real time in a conference server: one thread per
 * codec object (the composer already runs beside the mixer threads), no
 * look-ahead, constant bitrate, and keyframes only when asked for (a
 * receiver joins or loses packets) plus one a minute as a safety net.
 * Memory is allocated when an object is made; per frame only what the
 * libraries do themselves.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include "video/vcodec.h"

/* A safety keyframe this often (seconds) when nobody asks */
#define VCODEC_KEY_MAX_S 60

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void quiet(void)
{
	av_log_set_level(AV_LOG_QUIET);
}

/* --- pictures --- */

int vframe_alloc(struct vframe *f, unsigned w, unsigned h)
{
	size_t ys, cs, ch;
	void *p;

	if (!f || !w || !h || w > 16384 || h > 16384)
		return EINVAL;
	/* rows aligned for the libraries' SIMD (swscale warns otherwise) */
	ys = (w + 63) & ~(size_t)63;
	cs = ((w + 1) / 2 + 63) & ~(size_t)63;
	ch = (h + 1) / 2;
	if (posix_memalign(&p, 64, ys * h + 2 * cs * ch))
		return ENOMEM;
	f->w = w;
	f->h = h;
	f->y = p;
	f->u = f->y + ys * h;
	f->v = f->u + cs * ch;
	f->ys = (int)ys;
	f->us = f->vs = (int)cs;
	return 0;
}

void vframe_free(struct vframe *f)
{
	if (!f)
		return;
	free(f->y);           /* the planes are one allocation */
	memset(f, 0, sizeof(*f));
}

static void plane_fill(uint8_t *p, int stride, unsigned w, unsigned h,
		       uint8_t val)
{
	for (unsigned r = 0; r < h; r++)
		memset(p + (size_t)r * stride, val, w);
}

void vframe_fill(struct vframe *f, uint8_t y, uint8_t u, uint8_t v)
{
	unsigned cw = (f->w + 1) / 2, ch = (f->h + 1) / 2;

	plane_fill(f->y, f->ys, f->w, f->h, y);
	plane_fill(f->u, f->us, cw, ch, u);
	plane_fill(f->v, f->vs, cw, ch, v);
}

static double plane_mean(const uint8_t *p, int stride, unsigned x0,
			 unsigned y0, unsigned x1, unsigned y1)
{
	uint64_t sum = 0;

	if (x1 <= x0 || y1 <= y0)
		return 0;
	for (unsigned r = y0; r < y1; r++)
		for (unsigned c = x0; c < x1; c++)
			sum += p[(size_t)r * stride + c];
	return (double)sum / ((double)(x1 - x0) * (y1 - y0));
}

void vframe_mean(const struct vframe *f, unsigned x, unsigned y, unsigned w,
		 unsigned h, double yuv[3])
{
	unsigned x1 = x + w > f->w ? f->w : x + w;
	unsigned y1 = y + h > f->h ? f->h : y + h;
	unsigned cx0 = x / 2, cy0 = y / 2;
	unsigned cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;

	yuv[0] = plane_mean(f->y, f->ys, x, y, x1, y1);
	yuv[1] = plane_mean(f->u, f->us, cx0, cy0, cx1, cy1);
	yuv[2] = plane_mean(f->v, f->vs, cx0, cy0, cx1, cy1);
}

/* --- decoders --- */

struct vdec {
	enum video_codec codec;
	vpx_codec_ctx_t vpx;
	bool vpx_open;
	AVCodecContext *av;
	AVPacket *pkt;
	AVFrame *frm, *tmp;
	uint8_t *in;          /* the frame with libavcodec's padding */
	size_t insz;
};

static int vdec_open_av(struct vdec *d)
{
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);

	if (!codec)
		return ENOSYS;
	d->av = avcodec_alloc_context3(codec);
	d->pkt = av_packet_alloc();
	d->frm = av_frame_alloc();
	d->tmp = av_frame_alloc();
	if (!d->av || !d->pkt || !d->frm || !d->tmp)
		return ENOMEM;
	d->av->thread_count = 1;
	d->av->flags |= AV_CODEC_FLAG_LOW_DELAY;
	return avcodec_open2(d->av, codec, NULL) < 0 ? EINVAL : 0;
}

int vdec_alloc(struct vdec **dp, enum video_codec c)
{
	vpx_codec_dec_cfg_t cfg = {.threads = 1};
	struct vdec *d;
	int err = 0;

	if (!dp || c >= VIDEO_NCODECS)
		return EINVAL;
	pthread_once(&quiet_once, quiet);
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	d->codec = c;
	if (c == VIDEO_H264) {
		err = vdec_open_av(d);
	} else {
		vpx_codec_iface_t *ifc = c == VIDEO_VP8 ? vpx_codec_vp8_dx()
						       : vpx_codec_vp9_dx();

		if (vpx_codec_dec_init(&d->vpx, ifc, &cfg, 0))
			err = ENOMEM;
		else
			d->vpx_open = true;
	}
	if (err) {
		vdec_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

void vdec_free(struct vdec *d)
{
	if (!d)
		return;
	if (d->vpx_open)
		vpx_codec_destroy(&d->vpx);
	avcodec_free_context(&d->av);
	av_packet_free(&d->pkt);
	av_frame_free(&d->frm);
	av_frame_free(&d->tmp);
	free(d->in);
	free(d);
}

static int vdec_vpx(struct vdec *d, const uint8_t *data, size_t len,
		    struct vframe *out)
{
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img, *last = NULL;

	if (vpx_codec_decode(&d->vpx, data, (unsigned)len, NULL, 0))
		return -1;
	while ((img = vpx_codec_get_frame(&d->vpx, &it)))
		last = img;
	if (!last)
		return 0;
	if (last->fmt != VPX_IMG_FMT_I420)
		return -1;
	out->w = last->d_w;
	out->h = last->d_h;
	out->y = last->planes[VPX_PLANE_Y];
	out->u = last->planes[VPX_PLANE_U];
	out->v = last->planes[VPX_PLANE_V];
	out->ys = last->stride[VPX_PLANE_Y];
	out->us = last->stride[VPX_PLANE_U];
	out->vs = last->stride[VPX_PLANE_V];
	return 1;
}

static int vdec_av(struct vdec *d, const uint8_t *data, size_t len,
		   struct vframe *out)
{
	size_t need = len + AV_INPUT_BUFFER_PADDING_SIZE;
	bool got = false;
	int r;

	if (len > INT32_MAX)
		return -1;
	if (need > d->insz) {         /* grows to the largest frame once */
		uint8_t *p = realloc(d->in, need);

		if (!p)
			return -1;
		d->in = p;
		d->insz = need;
	}
	memcpy(d->in, data, len);
	memset(d->in + len, 0, AV_INPUT_BUFFER_PADDING_SIZE);
	d->pkt->data = d->in;
	d->pkt->size = (int)len;
	av_frame_unref(d->frm);
	r = avcodec_send_packet(d->av, d->pkt);
	if (r < 0 && r != AVERROR(EAGAIN))
		return -1;
	while (avcodec_receive_frame(d->av, d->tmp) == 0) {
		av_frame_unref(d->frm);
		av_frame_move_ref(d->frm, d->tmp);
		got = true;
	}
	if (!got)
		return 0;
	if ((d->frm->format != AV_PIX_FMT_YUV420P &&
	     d->frm->format != AV_PIX_FMT_YUVJ420P) ||
	    (d->frm->flags & AV_FRAME_FLAG_CORRUPT))
		return -1;
	out->w = (unsigned)d->frm->width;
	out->h = (unsigned)d->frm->height;
	out->y = d->frm->data[0];
	out->u = d->frm->data[1];
	out->v = d->frm->data[2];
	out->ys = d->frm->linesize[0];
	out->us = d->frm->linesize[1];
	out->vs = d->frm->linesize[2];
	return 1;
}

int vdec_frame(struct vdec *d, const uint8_t *data, size_t len,
	       struct vframe *out)
{
	if (!d || !data || !len || !out)
		return -1;
	return d->codec == VIDEO_H264 ? vdec_av(d, data, len, out)
				      : vdec_vpx(d, data, len, out);
}

/* --- encoders --- */

struct venc {
	enum video_codec codec;
	unsigned w, h, fps;
	int64_t pts;
	vpx_codec_ctx_t vpx;
	vpx_codec_enc_cfg_t cfg;
	bool vpx_open;
	vpx_image_t img;
	uint8_t *out;          /* libvpx's packets of one frame, joined */
	size_t outsz;
	AVCodecContext *av;
	AVFrame *frm;
	AVPacket *pkt;
};

static int venc_open_vpx(struct venc *e, unsigned kbps)
{
	bool vp8 = e->codec == VIDEO_VP8;
	vpx_codec_iface_t *ifc = vp8 ? vpx_codec_vp8_cx() : vpx_codec_vp9_cx();
	vpx_codec_enc_cfg_t *c = &e->cfg;
	vpx_codec_ctx_t *x = &e->vpx;

	if (vpx_codec_enc_config_default(ifc, c, 0))
		return EINVAL;
	c->g_w = e->w;
	c->g_h = e->h;
	c->g_timebase.num = 1;
	c->g_timebase.den = (int)e->fps;
	c->g_threads = 1;
	c->g_lag_in_frames = 0;
	c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	c->g_pass = VPX_RC_ONE_PASS;
	c->rc_end_usage = VPX_CBR;
	c->rc_target_bitrate = kbps;
	c->rc_dropframe_thresh = 0;  /* a late picture beats a missing one */
	c->rc_resize_allowed = 0;
	c->rc_min_quantizer = 2;
	c->rc_max_quantizer = vp8 ? 56 : 52;
	c->rc_undershoot_pct = 100;
	c->rc_overshoot_pct = 15;
	c->rc_buf_initial_sz = 500;
	c->rc_buf_optimal_sz = 600;
	c->rc_buf_sz = 1000;
	c->kf_mode = VPX_KF_AUTO;
	c->kf_min_dist = 0;
	c->kf_max_dist = VCODEC_KEY_MAX_S * e->fps;
	if (vpx_codec_enc_init(x, ifc, c, 0))
		return EINVAL;
	e->vpx_open = true;
	/* the fastest real-time speeds: a server encodes many pictures */
	vpx_codec_control(x, VP8E_SET_CPUUSED, 8);
	vpx_codec_control(x, VP8E_SET_NOISE_SENSITIVITY, 0);
	vpx_codec_control(x, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
	if (vp8) {
		vpx_codec_control(x, VP8E_SET_STATIC_THRESHOLD, 1);
		vpx_codec_control(x, VP8E_SET_TOKEN_PARTITIONS,
				  VP8_ONE_TOKENPARTITION);
	} else {
		vpx_codec_control(x, VP9E_SET_AQ_MODE, 3);
		vpx_codec_control(x, VP9E_SET_TILE_COLUMNS, 0);
		vpx_codec_control(x, VP9E_SET_ROW_MT, 0);
		vpx_codec_control(x, VP9E_SET_FRAME_PARALLEL_DECODING, 0);
	}
	return 0;
}

static void av_set_rate(AVCodecContext *av, unsigned kbps)
{
	av->bit_rate = (int64_t)kbps * 1000;
	av->rc_max_rate = av->bit_rate;
	av->rc_buffer_size = (int)(av->bit_rate / 2);  /* half a second */
}

static int venc_open_av(struct venc *e, unsigned kbps)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	AVCodecContext *av;

	if (!codec)
		return ENOSYS;
	e->av = av = avcodec_alloc_context3(codec);
	e->frm = av_frame_alloc();
	e->pkt = av_packet_alloc();
	if (!av || !e->frm || !e->pkt)
		return ENOMEM;
	av->width = (int)e->w;
	av->height = (int)e->h;
	av->pix_fmt = AV_PIX_FMT_YUV420P;
	av->time_base = (AVRational){1, (int)e->fps};
	av->framerate = (AVRational){(int)e->fps, 1};
	av_set_rate(av, kbps);
	av->gop_size = (int)(VCODEC_KEY_MAX_S * e->fps);
	av->max_b_frames = 0;
	av->thread_count = 1;
	av->profile = FF_PROFILE_H264_CONSTRAINED_BASELINE;
	/* in-band SPS/PPS, repeated before every IDR: a receiver that
	 * asked for a keyframe needs them */
	av->flags &= ~AV_CODEC_FLAG_GLOBAL_HEADER;
	av_opt_set(av->priv_data, "preset", "superfast", 0);
	av_opt_set(av->priv_data, "tune", "zerolatency", 0);
	av_opt_set(av->priv_data, "profile", "baseline", 0);
	av_opt_set(av->priv_data, "forced-idr", "1", 0);
	av_opt_set(av->priv_data, "x264-params",
		   "scenecut=0:repeat-headers=1:annexb=1", 0);
	if (avcodec_open2(av, codec, NULL) < 0)
		return EINVAL;
	e->frm->format = AV_PIX_FMT_YUV420P;
	e->frm->width = av->width;
	e->frm->height = av->height;
	return av_frame_get_buffer(e->frm, 64) < 0 ? ENOMEM : 0;
}

int venc_alloc(struct venc **ep, enum video_codec c, unsigned w, unsigned h,
	       unsigned fps, unsigned kbps)
{
	struct venc *e;
	int err;

	if (!ep || c >= VIDEO_NCODECS || !w || !h || (w | h) & 1 || !fps ||
	    !kbps)
		return EINVAL;
	pthread_once(&quiet_once, quiet);
	e = calloc(1, sizeof(*e));
	if (!e)
		return ENOMEM;
	e->codec = c;
	e->w = w;
	e->h = h;
	e->fps = fps;
	err = c == VIDEO_H264 ? venc_open_av(e, kbps) : venc_open_vpx(e, kbps);
	if (err) {
		venc_free(e);
		return err;
	}
	*ep = e;
	return 0;
}

void venc_free(struct venc *e)
{
	if (!e)
		return;
	if (e->vpx_open)
		vpx_codec_destroy(&e->vpx);
	avcodec_free_context(&e->av);
	av_frame_free(&e->frm);
	av_packet_free(&e->pkt);
	free(e->out);
	free(e);
}

static int out_add(struct venc *e, size_t *len, const void *p, size_t n)
{
	if (*len + n > e->outsz) {    /* grows to the largest frame once */
		size_t sz = (*len + n) * 2;
		uint8_t *q = realloc(e->out, sz);

		if (!q)
			return ENOMEM;
		e->out = q;
		e->outsz = sz;
	}
	memcpy(e->out + *len, p, n);
	*len += n;
	return 0;
}

static int venc_vpx(struct venc *e, const struct vframe *in, bool key,
		    const uint8_t **data, size_t *len, bool *is_key)
{
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t it = NULL;
	size_t n = 0;

	/* a view of the caller's planes: wrap fills in the fields, then
	 * the planes and strides are the picture's own */
	vpx_img_wrap(&e->img, VPX_IMG_FMT_I420, e->w, e->h, 1, in->y);
	e->img.planes[VPX_PLANE_Y] = in->y;
	e->img.planes[VPX_PLANE_U] = in->u;
	e->img.planes[VPX_PLANE_V] = in->v;
	e->img.stride[VPX_PLANE_Y] = in->ys;
	e->img.stride[VPX_PLANE_U] = in->us;
	e->img.stride[VPX_PLANE_V] = in->vs;
	if (vpx_codec_encode(&e->vpx, &e->img, e->pts++, 1,
			     key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME))
		return -EINVAL;
	*is_key = false;
	while ((pkt = vpx_codec_get_cx_data(&e->vpx, &it))) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
			continue;
		if (out_add(e, &n, pkt->data.frame.buf, pkt->data.frame.sz))
			return -ENOMEM;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY)
			*is_key = true;
	}
	if (!n)
		return 0;
	*data = e->out;
	*len = n;
	return 1;
}

static void plane_copy(uint8_t *d, int ds, const uint8_t *s, int ss,
		       unsigned w, unsigned h)
{
	for (unsigned r = 0; r < h; r++)
		memcpy(d + (size_t)r * ds, s + (size_t)r * ss, w);
}

static int venc_av(struct venc *e, const struct vframe *in, bool key,
		   const uint8_t **data, size_t *len, bool *is_key)
{
	AVFrame *f = e->frm;
	int r;

	av_packet_unref(e->pkt);
	/* the encoder let go of the buffer at the last frame: no copy */
	if (av_frame_make_writable(f) < 0)
		return -ENOMEM;
	plane_copy(f->data[0], f->linesize[0], in->y, in->ys, e->w, e->h);
	plane_copy(f->data[1], f->linesize[1], in->u, in->us, e->w / 2,
		   e->h / 2);
	plane_copy(f->data[2], f->linesize[2], in->v, in->vs, e->w / 2,
		   e->h / 2);
	f->pts = e->pts++;
	f->pict_type = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
	r = avcodec_send_frame(e->av, f);
	if (r < 0)
		return -EINVAL;
	r = avcodec_receive_packet(e->av, e->pkt);
	if (r == AVERROR(EAGAIN))
		return 0;
	if (r < 0)
		return -EINVAL;
	*data = e->pkt->data;
	*len = (size_t)e->pkt->size;
	*is_key = e->pkt->flags & AV_PKT_FLAG_KEY;
	return 1;
}

int venc_frame(struct venc *e, const struct vframe *in, bool key,
	       const uint8_t **data, size_t *len, bool *is_key)
{
	if (!e || !in || !data || !len || !is_key || in->w != e->w ||
	    in->h != e->h)
		return -EINVAL;
	return e->codec == VIDEO_H264 ? venc_av(e, in, key, data, len, is_key)
				      : venc_vpx(e, in, key, data, len, is_key);
}

int venc_bitrate(struct venc *e, unsigned kbps)
{
	if (!e || !kbps)
		return EINVAL;
	if (e->codec == VIDEO_H264) {
		/* libx264's wrapper reconfigures at the next frame */
		av_set_rate(e->av, kbps);
		return 0;
	}
	e->cfg.rc_target_bitrate = kbps;
	return vpx_codec_enc_config_set(&e->vpx, &e->cfg) ? EINVAL : 0;
}
