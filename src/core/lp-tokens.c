/* lp-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-tokens"

#include "config.h"

#include "lp-tokens.h"

/* A token per three ASCII bytes and per two bytes of anything else,
 * rounded up. BPE tokenizers average about four bytes per token on
 * English and code, so ASCII is overcounted by a third. A CJK character
 * is three UTF-8 bytes and costs one to one and a half tokens, so it is
 * counted as one and a half: counting code points, as upstream did,
 * undercounts Chinese by half or more. */
/* Sixths of a token: an ASCII byte costs 2, any other byte 3, so
 * ceil (ascii / 3 + other / 2) once summed. */
static inline gint64
byte_cost (guchar byte)
{
  return byte < 0x80 ? 2 : 3;
}

gint64
lp_estimate_tokens (const char *text)
{
  gint64 sixths = 0;

  if (text == NULL)
    return 0;

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    sixths += byte_cost (*p);

  return (sixths + 5) / 6;
}

gsize
lp_tokens_prefix_len (const char *text,
                      gint64      budget)
{
  gint64 sixths = 0;
  gsize end = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (gsize i = 0; text[i] != '\0'; i++)
    {
      sixths += byte_cost ((guchar) text[i]);
      if ((sixths + 5) / 6 > budget)
        break;
      /* Only whole characters: the next byte starts a new one. */
      if (((guchar) text[i + 1] & 0xC0) != 0x80)
        end = i + 1;
    }

  return end;
}
