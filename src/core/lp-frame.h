/* lp-frame.h
 *
 * Content-Length framing of JSON-RPC messages, as Lingma carries them
 * inside WebSocket messages.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LP_FRAME_DEFAULT_MAX_SIZE (64 * 1024 * 1024)
/* A header block longer than this cannot be a Content-Length header. */
#define LP_FRAME_MAX_HEADER_SIZE 1024

typedef struct _LpFrameDecoder LpFrameDecoder;

LpFrameDecoder *lp_frame_decoder_new      (gsize            max_frame_size);
void            lp_frame_decoder_free     (LpFrameDecoder  *self);
void            lp_frame_decoder_push     (LpFrameDecoder  *self,
                                           const guint8    *data,
                                           gsize            len);
GBytes         *lp_frame_decoder_pop      (LpFrameDecoder  *self,
                                           GError         **error);
gsize           lp_frame_decoder_buffered (LpFrameDecoder  *self);
GBytes         *lp_frame_encode           (const char      *body,
                                           gssize           len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LpFrameDecoder, lp_frame_decoder_free)

G_END_DECLS
