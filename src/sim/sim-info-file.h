/* sim-info-file.h
 *
 * The SharedClientCache info file Lingma writes so that clients find its
 * WebSocket port: JSON, or the older three-line text format.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean sim_info_file_write  (const char  *path,
                               guint        port,
                               gboolean     legacy,
                               GError     **error);
void     sim_info_file_remove (const char  *path);

G_END_DECLS
