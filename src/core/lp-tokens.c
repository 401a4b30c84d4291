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
gint64
lp_estimate_tokens (const char *text)
{
  gint64 ascii = 0;
  gint64 other = 0;

  if (text == NULL)
    return 0;

  for (const guchar *p = (const guchar *) text; *p != '\0'; p++)
    {
      if (*p < 0x80)
        ascii++;
      else
        other++;
    }

  /* ceil (ascii / 3 + other / 2), in sixths */
  return (2 * ascii + 3 * other + 5) / 6;
}
