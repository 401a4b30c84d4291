/* test-frame.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-frame.h"

static void
push_string (LpFrameDecoder *decoder,
             const char     *data)
{
  lp_frame_decoder_push (decoder, (const guint8 *) data, strlen (data));
}

static void
assert_body (GBytes     *body,
             const char *expected)
{
  gsize len;
  const char *data;

  g_assert_nonnull (body);
  data = g_bytes_get_data (body, &len);
  g_assert_cmpmem (data, len, expected, strlen (expected));
}

static void
assert_pop (LpFrameDecoder *decoder,
            const char     *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = lp_frame_decoder_pop (decoder, &error);

  g_assert_no_error (error);
  assert_body (body, expected);
}

static void
assert_need_more (LpFrameDecoder *decoder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = lp_frame_decoder_pop (decoder, &error);

  g_assert_no_error (error);
  g_assert_null (body);
}

static void
assert_protocol_error (LpFrameDecoder *decoder,
                       const char     *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = lp_frame_decoder_pop (decoder, &error);

  g_assert_null (body);
  g_assert_error (error, LP_ERROR, LP_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_single (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

  push_string (decoder, "Content-Length: 13\r\n\r\n{\"jsonrpc\":1}");
  assert_pop (decoder, "{\"jsonrpc\":1}");
  g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, 0);
  assert_need_more (decoder);
}

static void
test_several_in_one_push (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

  push_string (decoder,
               "Content-Length: 2\r\n\r\n{}"
               "Content-Length: 7\r\n\r\n[1,2,3]"
               "Content-Length: 0\r\n\r\n"
               "Content-Length: 4\r\n\r\nnu");
  assert_pop (decoder, "{}");
  assert_pop (decoder, "[1,2,3]");
  assert_pop (decoder, "");
  assert_need_more (decoder);
  push_string (decoder, "ll");
  assert_pop (decoder, "null");
  g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, 0);
}

static void
test_split_every_offset (void)
{
  const char *body = "{\"method\":\"x\",\"params\":{}}";
  g_autofree char *frame = g_strdup_printf ("Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n%s", strlen (body), body);
  gsize len = strlen (frame);

  for (gsize split = 0; split <= len; split++)
    {
      g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

      lp_frame_decoder_push (decoder, (const guint8 *) frame, split);
      if (split < len)
        assert_need_more (decoder);
      lp_frame_decoder_push (decoder, (const guint8 *) frame + split, len - split);
      assert_pop (decoder, body);
      assert_need_more (decoder);
    }

  /* One byte at a time, and the frame only completes with the last one. */
  {
    g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

    for (gsize i = 0; i < len; i++)
      {
        if (i > 0)
          assert_need_more (decoder);
        lp_frame_decoder_push (decoder, (const guint8 *) frame + i, 1);
      }
    assert_pop (decoder, body);
  }
}

static void
test_header_split (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

  push_string (decoder, "Content-Len");
  assert_need_more (decoder);
  push_string (decoder, "gth: 5\r");
  assert_need_more (decoder);
  push_string (decoder, "\n\r");
  assert_need_more (decoder);
  push_string (decoder, "\nhel");
  assert_need_more (decoder);
  push_string (decoder, "loContent-Length: 1\r\n");
  assert_pop (decoder, "hello");
  assert_need_more (decoder);
  push_string (decoder, "\r\n!");
  assert_pop (decoder, "!");
}

static void
test_oversized (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (16);
  g_autoptr(LpFrameDecoder) exact = lp_frame_decoder_new (16);

  /* Rejected from the header alone, before any body is buffered. */
  push_string (decoder, "Content-Length: 17\r\n\r\n");
  assert_protocol_error (decoder, "exceeds the 16 byte limit");

  push_string (exact, "Content-Length: 16\r\n\r\n0123456789abcdef");
  assert_pop (exact, "0123456789abcdef");

  {
    g_autoptr(LpFrameDecoder) huge = lp_frame_decoder_new (0);

    push_string (huge, "Content-Length: 99999999999999999999\r\n\r\n");
    assert_protocol_error (huge, "Content-Length");
  }
}

static void
test_missing_length (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

  push_string (decoder, "Content-Type: application/json\r\n\r\n{}");
  assert_protocol_error (decoder, "missing Content-Length");
}

static void
test_non_numeric (void)
{
  const char *cases[] = {
    "Content-Length: abc\r\n\r\n",
    "Content-Length: 12x\r\n\r\n",
    "Content-Length: -1\r\n\r\n",
    "Content-Length:\r\n\r\n",
    "Content-Length: 0x10\r\n\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

      push_string (decoder, cases[i]);
      assert_protocol_error (decoder, "invalid Content-Length");
    }
}

static void
test_case_and_extra_headers (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);

  push_string (decoder, "content-length: 2\r\n\r\n{}");
  assert_pop (decoder, "{}");

  push_string (decoder, "CONTENT-LENGTH:3\r\n\r\nabc");
  assert_pop (decoder, "abc");

  push_string (decoder,
               "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
               "  Content-Length:\t 4  \r\n"
               "X-Extra: 1\r\n\r\n"
               "abcd");
  assert_pop (decoder, "abcd");
  g_assert_cmpuint (lp_frame_decoder_buffered (decoder), ==, 0);
}

static void
test_garbage_without_separator (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);
  g_autofree char *garbage = g_strnfill (LP_FRAME_MAX_HEADER_SIZE, 'x');

  /* Up to the limit it might still become a header... */
  push_string (decoder, garbage);
  assert_need_more (decoder);

  /* ...one byte more cannot. */
  push_string (decoder, "x");
  assert_protocol_error (decoder, "no frame header end");
}

static void
test_long_header_with_separator (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);
  g_autofree char *filler = g_strnfill (LP_FRAME_MAX_HEADER_SIZE, 'y');
  g_autofree char *frame = g_strdup_printf ("X-Filler: %s\r\nContent-Length: 2\r\n\r\n{}", filler);

  push_string (decoder, frame);
  assert_protocol_error (decoder, "too long");
}

static void
test_nul_in_header (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);
  static const guint8 frame[] = "Content-Length: 2\0junk\r\n\r\n{}";

  lp_frame_decoder_push (decoder, frame, sizeof frame - 1);
  assert_protocol_error (decoder, "NUL");
}

static void
test_round_trip_utf8 (void)
{
  g_autoptr(LpFrameDecoder) decoder = lp_frame_decoder_new (0);
  const char *body = "{\"text\":\"通义灵码 — ünïcödé 🚀\"}";
  g_autoptr(GBytes) frame = lp_frame_encode (body, -1);
  g_autofree char *header = g_strdup_printf ("Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", strlen (body));
  gsize frame_len;
  const char *frame_data = g_bytes_get_data (frame, &frame_len);

  /* Bytes, not characters. */
  g_assert_cmpuint (strlen (body), >, (gsize) g_utf8_strlen (body, -1));
  g_assert_cmpuint (frame_len, ==, strlen (header) + strlen (body));
  g_assert_true (g_str_has_prefix (frame_data, header));

  lp_frame_decoder_push (decoder, (const guint8 *) frame_data, frame_len);
  lp_frame_decoder_push (decoder, (const guint8 *) frame_data, frame_len);
  assert_pop (decoder, body);
  assert_pop (decoder, body);
  assert_need_more (decoder);

  /* An explicit length encodes a prefix only. */
  {
    g_autoptr(GBytes) prefix = lp_frame_encode (body, 3);
    const char *expected = "Content-Length: 3\r\n\r\n{\"t";

    g_assert_cmpmem (g_bytes_get_data (prefix, NULL), g_bytes_get_size (prefix),
                     expected, strlen (expected));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/frame/single", test_single);
  g_test_add_func ("/frame/several-in-one-push", test_several_in_one_push);
  g_test_add_func ("/frame/split-every-offset", test_split_every_offset);
  g_test_add_func ("/frame/header-split", test_header_split);
  g_test_add_func ("/frame/oversized", test_oversized);
  g_test_add_func ("/frame/missing-length", test_missing_length);
  g_test_add_func ("/frame/non-numeric", test_non_numeric);
  g_test_add_func ("/frame/case-and-extra-headers", test_case_and_extra_headers);
  g_test_add_func ("/frame/garbage-without-separator", test_garbage_without_separator);
  g_test_add_func ("/frame/long-header-with-separator", test_long_header_with_separator);
  g_test_add_func ("/frame/nul-in-header", test_nul_in_header);
  g_test_add_func ("/frame/round-trip-utf8", test_round_trip_utf8);

  return g_test_run ();
}
