/* sim-frame-log.h
 *
 * One JSON line per frame received, flushed at once, so that tests can
 * assert exactly what a client sent.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _SimFrameLog SimFrameLog;

SimFrameLog *sim_frame_log_open   (const char   *path,
                                   GError      **error);
void         sim_frame_log_append (SimFrameLog  *self,
                                   JsonNode     *message,
                                   GBytes       *body);
void         sim_frame_log_free   (SimFrameLog  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimFrameLog, sim_frame_log_free)

G_END_DECLS
