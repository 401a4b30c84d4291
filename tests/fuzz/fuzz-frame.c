/* fuzz-frame.c
 *
 * LpFrameDecoder on arbitrary streams. Input layout: byte 0 picks the
 * frame cap, byte 1 seeds the sizes of the pushes, the rest is the
 * stream. Every popped body is checked against the stream itself.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "lp-error.h"
#include "lp-frame.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* An independent reading of the header block: the declared body length,
 * or -1 when there is no usable Content-Length. */
static gint64
declared_length (const guint8 *header,
                 gsize         len)
{
  g_autofree char *text = g_strndup ((const char *) header, len);
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      guint64 value;

      if (g_ascii_strncasecmp (line, "content-length:", 15) != 0)
        continue;

      line += 15;
      while (*line == ' ' || *line == '\t')
        line++;

      if (!g_ascii_string_to_unsigned (line, 10, 0, G_MAXINT64, &value, NULL))
        return -1;

      return value;
    }

  return -1;
}

static const guint8 *
find_separator (const guint8 *data,
                gsize         len)
{
  for (gsize i = 0; i + 3 < len; i++)
    {
      if (memcmp (data + i, "\r\n\r\n", 4) == 0)
        return data + i;
    }

  return NULL;
}

static void
check_round_trip (const guint8 *body,
                  gsize         len)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (G_MAXSIZE);
  g_autoptr(GBytes) frame = lp_frame_encode ((const char *) body, len);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GError) error = NULL;

  lp_frame_decoder_push (decoder, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  again = lp_frame_decoder_pop (decoder, &error);
  g_assert_no_error (error);
  g_assert_nonnull (again);
  g_assert_cmpmem (g_bytes_get_data (again, NULL), g_bytes_get_size (again), body, len);
  g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(LpFrameDecoder) decoder = NULL;
  const guint8 *stream;
  gsize stream_len;
  gsize max_frame_size;
  gsize pushed = 0;
  gsize consumed = 0;
  guint32 state;

  if (size < 2)
    return 0;

  /* Small caps, so oversized frames are common; 0 means the default. */
  max_frame_size = data[0] ? (gsize) data[0] * 8 : LP_FRAME_DEFAULT_MAX_SIZE;
  state = data[1] | 0x100;
  stream = data + 2;
  stream_len = size - 2;

  check_round_trip (stream, stream_len);

  decoder = lp_frame_decoder_new (max_frame_size);

  while (pushed < stream_len)
    {
      gsize chunk;

      /* A tiny LCG picks push sizes from 0 to 64 bytes. */
      state = state * 1103515245 + 12345;
      chunk = MIN ((state >> 16) % 65, stream_len - pushed);
      lp_frame_decoder_push (decoder, stream + pushed, chunk);
      pushed += chunk;

      for (;;)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GBytes) body = lp_frame_decoder_pop (decoder, &error);
          const guint8 *rest = stream + consumed;
          const guint8 *separator = find_separator (rest, pushed - consumed);
          gsize header_len;
          gint64 declared;

          if (error != NULL)
            {
              /* A malformed stream fails and is never resynchronised. */
              g_assert_null (body);
              g_assert_error (error, LP_ERROR, LP_ERROR_PROTOCOL);
              return 0;
            }

          if (body == NULL)
            {
              /* Waiting for more never holds more than one frame's worth. */
              g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, pushed - consumed);
              g_assert_cmpuint (lp_frame_decoder_buffered (decoder), <=,
                                LP_FRAME_MAX_HEADER_SIZE + 4 + max_frame_size);
              break;
            }

          /* The body is exactly what the header declared, taken from
           * right after the first header end. */
          g_assert_nonnull (separator);
          header_len = separator - rest;
          g_assert_cmpuint (header_len, <=, LP_FRAME_MAX_HEADER_SIZE);
          g_assert_null (memchr (rest, '\0', header_len));
          declared = declared_length (rest, header_len);
          g_assert_cmpint (declared, >=, 0);
          g_assert_cmpuint ((guint64) declared, <=, max_frame_size);
          g_assert_cmpuint (g_bytes_get_size (body), ==, (guint64) declared);
          g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                           separator + 4, declared);

          consumed += header_len + 4 + declared;
          g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, pushed - consumed);
        }
    }

  return 0;
}
