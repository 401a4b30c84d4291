/* lp-frame.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-frame"

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-frame.h"

struct _LpFrameDecoder
{
  GByteArray *buffer;
  gsize       max_frame_size;
};

LpFrameDecoder *
lp_frame_decoder_new (gsize max_frame_size)
{
  LpFrameDecoder *self = g_new0 (LpFrameDecoder, 1);

  self->buffer = g_byte_array_new ();
  self->max_frame_size = max_frame_size ? max_frame_size : LP_FRAME_DEFAULT_MAX_SIZE;

  return self;
}

void
lp_frame_decoder_free (LpFrameDecoder *self)
{
  if (self == NULL)
    return;

  g_byte_array_unref (self->buffer);
  g_free (self);
}

void
lp_frame_decoder_push (LpFrameDecoder *self,
                       const guint8   *data,
                       gsize           len)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (data != NULL || len == 0);

  g_byte_array_append (self->buffer, data, len);
}

gsize
lp_frame_decoder_buffered (LpFrameDecoder *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->buffer->len;
}

static const guint8 *
find_header_end (const guint8 *data,
                 gsize         len)
{
  for (gsize i = 0; i + 3 < len; i++)
    {
      if (data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n')
        return data + i;
    }

  return NULL;
}

/* Returns the declared body length, or -1 with @error set. */
static gint64
parse_content_length (const char  *header,
                      gsize        max_frame_size,
                      GError     **error)
{
  g_auto(GStrv) lines = g_strsplit (header, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (lines[i]));
      const char *value;
      guint64 length = 0;

      if (g_ascii_strncasecmp (line, "content-length:", 15) != 0)
        continue;

      value = line + 15;
      while (*value == ' ' || *value == '\t')
        value++;

      if (*value == '\0' ||
          !g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT64, &length, NULL))
        {
          g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL,
                       "invalid Content-Length header value \"%s\"", value);
          return -1;
        }

      if (length > max_frame_size)
        {
          g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL,
                       "frame of %" G_GUINT64_FORMAT " bytes exceeds the %" G_GSIZE_FORMAT " byte limit",
                       length, max_frame_size);
          return -1;
        }

      return (gint64) length;
    }

  g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "missing Content-Length header");
  return -1;
}

/**
 * lp_frame_decoder_pop:
 *
 * Returns: (transfer full) (nullable): the next complete frame body, or
 *   %NULL when more data is needed or, with @error set, when the stream is
 *   malformed. A malformed stream cannot be resynchronised: the caller must
 *   close the connection.
 */
GBytes *
lp_frame_decoder_pop (LpFrameDecoder  *self,
                      GError         **error)
{
  const guint8 *data;
  const guint8 *header_end;
  g_autofree char *header = NULL;
  gsize header_len;
  gsize body_offset;
  gint64 length;
  GBytes *body;

  g_return_val_if_fail (self != NULL, NULL);

  data = self->buffer->data;
  header_end = find_header_end (data, self->buffer->len);

  if (header_end == NULL)
    {
      /* Never buffer unbounded garbage while waiting for a separator. */
      if (self->buffer->len > LP_FRAME_MAX_HEADER_SIZE)
        g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL,
                     "no frame header end within %d bytes", LP_FRAME_MAX_HEADER_SIZE);
      return NULL;
    }

  header_len = header_end - data;
  if (header_len > LP_FRAME_MAX_HEADER_SIZE)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_PROTOCOL,
                   "frame header of %" G_GSIZE_FORMAT " bytes is too long", header_len);
      return NULL;
    }

  header = g_strndup ((const char *) data, header_len);
  if (strlen (header) != header_len)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_PROTOCOL, "frame header contains a NUL byte");
      return NULL;
    }

  length = parse_content_length (header, self->max_frame_size, error);
  if (length < 0)
    return NULL;

  body_offset = header_len + 4;
  if (self->buffer->len - body_offset < (gsize) length)
    return NULL;

  body = g_bytes_new (data + body_offset, length);
  g_byte_array_remove_range (self->buffer, 0, body_offset + length);

  return body;
}

GBytes *
lp_frame_encode (const char *body,
                 gssize      len)
{
  GString *frame;

  g_return_val_if_fail (body != NULL, NULL);

  if (len < 0)
    len = strlen (body);

  frame = g_string_sized_new (len + 32);
  g_string_append_printf (frame, "Content-Length: %" G_GSSIZE_FORMAT "\r\n\r\n", len);
  g_string_append_len (frame, body, len);

  return g_string_free_to_bytes (frame);
}
