/* The video codecs' names (video.h). Any thread. */
#include "video/video.h"

const char *video_codec_name(enum video_codec c)
{
	switch (c) {
	case VIDEO_VP8:  return "VP8";
	case VIDEO_H264: return "H264";
	case VIDEO_VP9:  return "VP9";
	default:         return "?";
	}
}
