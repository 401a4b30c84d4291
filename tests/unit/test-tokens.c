/* test-tokens.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-tokens.h"

static void
test_estimate (void)
{
  g_assert_cmpint (lp_estimate_tokens (NULL), ==, 0);
  g_assert_cmpint (lp_estimate_tokens (""), ==, 0);
  g_assert_cmpint (lp_estimate_tokens ("a"), ==, 1);
  g_assert_cmpint (lp_estimate_tokens ("abc"), ==, 1);
  g_assert_cmpint (lp_estimate_tokens ("abcd"), ==, 2);
  /* Three CJK characters are nine bytes: 4.5 tokens, rounded up. */
  g_assert_cmpint (lp_estimate_tokens ("你好吗"), ==, 5);
}

static void
test_prefix_len (void)
{
  const char *mixed = "hello 世界, how are you? 今天天气很好。";

  g_assert_cmpuint (lp_tokens_prefix_len ("", 10), ==, 0);
  g_assert_cmpuint (lp_tokens_prefix_len ("abc", 1), ==, 3);
  g_assert_cmpuint (lp_tokens_prefix_len ("abcd", 1), ==, 3);
  g_assert_cmpuint (lp_tokens_prefix_len (mixed, 1000), ==, strlen (mixed));

  for (gint64 budget = 0; budget <= lp_estimate_tokens (mixed); budget++)
    {
      gsize len = lp_tokens_prefix_len (mixed, budget);
      g_autofree char *prefix = g_strndup (mixed, len);
      g_autofree char *longer = NULL;
      gsize next = len;

      g_assert_true (g_utf8_validate (prefix, -1, NULL));
      g_assert_cmpint (lp_estimate_tokens (prefix), <=, budget);

      /* The prefix is the longest one: one more character is too much. */
      if (mixed[len] != '\0')
        {
          next = g_utf8_next_char (mixed + len) - mixed;
          longer = g_strndup (mixed, next);
          g_assert_cmpint (lp_estimate_tokens (longer), >, budget);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tokens/estimate", test_estimate);
  g_test_add_func ("/tokens/prefix-len", test_prefix_len);

  return g_test_run ();
}
