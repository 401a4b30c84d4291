/* sim-frame-log.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <errno.h>
#include <stdio.h>

#include <glib/gstdio.h>

#include "lp-error.h"
#include "sim-frame-log.h"

struct _SimFrameLog
{
  FILE *file;
  char *path;
};

SimFrameLog *
sim_frame_log_open (const char  *path,
                    GError     **error)
{
  SimFrameLog *self;
  FILE *file;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_fopen (path, "ae");
  if (file == NULL)
    {
      int errsv = errno;

      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "cannot open the frame log %s: %s", path, g_strerror (errsv));
      return NULL;
    }

  self = g_new0 (SimFrameLog, 1);
  self->file = file;
  self->path = g_strdup (path);

  return self;
}

/**
 * sim_frame_log_append:
 * @message: (nullable): the parsed frame, or %NULL when @body is not JSON
 * @body: the frame body as received
 */
void
sim_frame_log_append (SimFrameLog *self,
                      JsonNode    *message,
                      GBytes      *body)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) line = NULL;
  g_autofree char *text = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (body != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "t");
  json_builder_add_int_value (builder, g_get_real_time () / 1000);
  if (message != NULL)
    {
      json_builder_set_member_name (builder, "frame");
      json_builder_add_value (builder, json_node_copy (message));
    }
  else
    {
      gsize len;
      const char *data = g_bytes_get_data (body, &len);
      g_autofree char *valid = g_utf8_make_valid (data != NULL ? data : "", len);

      json_builder_set_member_name (builder, "raw");
      json_builder_add_string_value (builder, valid);
    }
  json_builder_end_object (builder);

  line = json_builder_get_root (builder);
  text = json_to_string (line, FALSE);

  if (fprintf (self->file, "%s\n", text) < 0 || fflush (self->file) != 0)
    g_warning ("cannot write the frame log %s: %s", self->path, g_strerror (errno));
}

void
sim_frame_log_free (SimFrameLog *self)
{
  if (self == NULL)
    return;

  fclose (self->file);
  g_free (self->path);
  g_free (self);
}
